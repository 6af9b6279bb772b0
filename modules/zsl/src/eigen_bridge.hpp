// This file is part of the opencv_zsl module (cv::zsl).
// Internal: conversions between cv::Mat and Eigen, and the checks every entry point applies.
#ifndef OPENCV_ZSL_EIGEN_BRIDGE_HPP
#define OPENCV_ZSL_EIGEN_BRIDGE_HPP

#include <opencv2/core.hpp>
#include <Eigen/Dense>
#include <string>
#include <vector>

namespace cv {
namespace zsl {
namespace detail {

// Row-major so that a continuous CV_32F cv::Mat maps onto it without a copy.
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowMapXf = Eigen::Map<const RowMatrixXf>;
// Read-only view of float rows (a Map of a cv::Mat's data or a RowMatrixXf), bound without a copy.
using RowRefXf = Eigen::Ref<const RowMatrixXf>;

/** Products with at most this many feature rows run on Eigen's own single-threaded kernels instead of BLAS.
    A multi-threaded OpenBLAS call wakes its worker threads, which then busy-wait (OpenBLAS's THREAD_TIMEOUT,
    ~0.1 s) and take the cores from whatever runs next: at batch 1, the dnn forward pass of the next image
    (+5-25 CPU ms per image, doc/benchmarks.md "Visual encoder"). A few rows are microseconds of work anyway. */
constexpr Eigen::Index kFewRows = 16;

/** a * b as a row-major float matrix: Eigen's lazy (coefficient-based) product when a has few rows
    (see kFewRows), the BLAS-backed GEMM otherwise. */
template <typename A, typename B>
RowMatrixXf productForRows(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b)
{
    if (a.rows() <= kFewRows)
        return a.lazyProduct(b);
    return a * b;
}

/** Copies a 2-D, single-channel matrix of any numeric depth into a float matrix.
    `what` names the argument in error messages ("features", "prototypes", ...).
    Throws cv::Exception on an empty matrix (unless allowEmpty), several channels or NaN/Inf. */
RowMatrixXf toEigen(InputArray m, const char* what, bool allowEmpty = false);

/** Zero-copy view of a continuous CV_32FC1 Mat (the caller keeps the Mat alive). */
ConstRowMapXf viewEigen(const Mat& m);

/** Copies an Eigen matrix into a new CV_32F Mat. */
Mat toMat(const RowMatrixXf& m);

/** Reads N integer labels (CV_32S or any integer/float depth holding integers, 1 x N or N x 1)
    and checks each is in [0, numClasses). */
std::vector<int> toLabels(InputArray labels, int numClasses, const char* what);

/** Throws unless every value is finite; `what` names the argument. */
void checkFinite(const Mat& m, const char* what);

/** Scales each row to unit L2 norm (zero rows stay zero). */
void normalizeRows(RowMatrixXf& m);

}}} // namespace cv::zsl::detail

#endif
