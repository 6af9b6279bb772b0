// This file is part of the opencv_zsl module (cv::zsl).
// Internal training engine: the matrix products of the layers.
//
// Eigen's own GEMM is single-threaded unless built with OpenMP (the module is not); these helpers
// split large products into column stripes of the result over cv::parallel_for_ (OpenCV's thread
// pool, cv::setNumThreads() applies), each stripe a plain Eigen GEMM. The stripes are fixed by the
// shapes and the thread count only, and each output element is computed by one GEMM call, so the
// result depends neither on scheduling nor on the thread count. With EIGEN_USE_BLAS (ZSL_USE_BLAS)
// each product is one BLAS call instead: the BLAS threads it (OPENBLAS_NUM_THREADS).
#ifndef OPENCV_ZSL_NN_GEMM_HPP
#define OPENCV_ZSL_NN_GEMM_HPP

#include "eigen_bridge.hpp"

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

/** Which GEMM the engine uses ("Eigen x.y.z (SSE, SSE2...)" or "BLAS through Eigen"), for benchmarks and logs. */
const char* gemmBackend();

/** C = A * B (C resized). A is read through a view: continuous rows of a caller's buffer are not copied. */
void matmul(const RowRefXf& A, const RowMatrixXf& B, RowMatrixXf& C);
/** C = A^T * B (C resized). */
void matmulTN(const RowMatrixXf& A, const RowMatrixXf& B, RowMatrixXf& C);
/** C = A * B^T (C resized). */
void matmulNT(const RowMatrixXf& A, const RowMatrixXf& B, RowMatrixXf& C);

}}}} // namespace cv::zsl::detail::nn

#endif
