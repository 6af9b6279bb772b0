// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "nn/nn_gemm.hpp"

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

// Stripe width of the result: fixed (not derived from the thread count) so that every stripe is the
// same Eigen call whatever the number of threads, hence bit-identical results on any machine.
static const Eigen::Index kStripe = 256;
// Below this many multiply-adds the thread hand-off costs more than it saves.
static const double kParallelMinWork = 4e6;

// A forward pass over a few rows (one image to label): Eigen's kernels, so that no BLAS worker threads wake
// and spin (see kQuietProductMacs). Training minibatches keep the faster BLAS GEMM.
static bool isInferenceOnFewRows(Eigen::Index m, Eigen::Index k, Eigen::Index n)
{
    return m <= 16 && isQuietProduct(m, k, n);
}

template <typename Product>
static void stripedProduct(Eigen::Index rows, Eigen::Index cols, Eigen::Index inner, RowMatrixXf& C,
                           const Product& product)
{
    C.resize(rows, cols);
#ifdef EIGEN_USE_BLAS
    // Eigen hands the product to the BLAS, which runs its own threads: striping would oversubscribe.
    (void)inner;
    product(0, cols);
    return;
#endif
    const Eigen::Index stripes = (cols + kStripe - 1) / kStripe;
    if (stripes < 2 || (double)rows * cols * inner < kParallelMinWork || cv::getNumThreads() < 2)
    {
        for (Eigen::Index s = 0; s < stripes; s++)
            product(s * kStripe, std::min(kStripe, cols - s * kStripe));
        return;
    }
    cv::parallel_for_(Range(0, (int)stripes), [&](const Range& r) {
        for (int s = r.start; s < r.end; s++)
            product(s * kStripe, std::min(kStripe, cols - s * kStripe));
    });
}

const char* gemmBackend()
{
#ifdef EIGEN_USE_BLAS
    static const std::string name = cv::format("BLAS through Eigen %d.%d.%d (EIGEN_USE_BLAS), one call per product",
                                               EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
#else
    static const std::string name = cv::format("Eigen %d.%d.%d GEMM (SIMD: %s), %d-column stripes over cv::parallel_for_",
                                               EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION,
                                               Eigen::SimdInstructionSetsInUse(), (int)kStripe);
#endif
    return name.c_str();
}

void matmul(const RowRefXf& A, const RowMatrixXf& B, RowMatrixXf& C)
{
    CV_Assert(A.cols() == B.rows());
    if (isInferenceOnFewRows(A.rows(), A.cols(), B.cols())) // no BLAS threads woken (see kQuietProductMacs)
    {
        C.noalias() = A.lazyProduct(B);
        return;
    }
    stripedProduct(A.rows(), B.cols(), A.cols(), C, [&](Eigen::Index c0, Eigen::Index n) {
        C.middleCols(c0, n).noalias() = A * B.middleCols(c0, n);
    });
}

void matmulTN(const RowMatrixXf& A, const RowMatrixXf& B, RowMatrixXf& C)
{
    CV_Assert(A.rows() == B.rows());
    stripedProduct(A.cols(), B.cols(), A.rows(), C, [&](Eigen::Index c0, Eigen::Index n) {
        C.middleCols(c0, n).noalias() = A.transpose() * B.middleCols(c0, n);
    });
}

void matmulNT(const RowMatrixXf& A, const RowMatrixXf& B, RowMatrixXf& C)
{
    CV_Assert(A.cols() == B.cols());
    if (isInferenceOnFewRows(A.rows(), A.cols(), B.rows()))
    {
        C.noalias() = A.lazyProduct(B.transpose());
        return;
    }
    stripedProduct(A.rows(), B.rows(), A.cols(), C, [&](Eigen::Index c0, Eigen::Index n) {
        C.middleCols(c0, n).noalias() = A * B.middleRows(c0, n).transpose();
    });
}

}}}} // namespace cv::zsl::detail::nn
