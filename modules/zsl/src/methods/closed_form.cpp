// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "methods/closed_form.hpp"
#include <Eigen/SparseCore>

#ifdef ZSL_HAVE_LAPACK
extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda, double* b,
             const int* ldb, int* info);
}
#endif

namespace cv {
namespace zsl {
namespace detail {

ClosedFormStatistics::ClosedFormStatistics(int featureDim, int numClasses)
    : gram(Eigen::MatrixXd::Zero(featureDim, featureDim)), classSums(Eigen::MatrixXd::Zero(numClasses, featureDim)),
      counts(Eigen::VectorXd::Zero(numClasses))
{
}

Eigen::Index ClosedFormStatistics::blockRows(Eigen::Index featureDim)
{
    return std::max<Eigen::Index>(64, std::min<Eigen::Index>(4096, (Eigen::Index(1) << 22) / std::max<Eigen::Index>(featureDim, 1)));
}

void ClosedFormStatistics::add(const RowRefXf& X, const std::vector<int>& y)
{
    CV_Assert(X.cols() == gram.rows() && (Eigen::Index)y.size() == X.rows());
    const Eigen::Index D = X.cols(), block = blockRows(D);
    Eigen::MatrixXd lower = Eigen::MatrixXd::Zero(D, D);
    RowMatrixXd rows;
    for (Eigen::Index r0 = 0; r0 < X.rows(); r0 += block)
    {
        const Eigen::Index n = std::min(block, X.rows() - r0);
        rows = X.middleRows(r0, n).cast<double>();
        lower.selfadjointView<Eigen::Lower>().rankUpdate(rows.transpose());
        // Class sums as Y^T X with a sparse one-hot Y (C x n, one unit entry per column): one pass over the rows.
        std::vector<Eigen::Triplet<double>> entries;
        entries.reserve((size_t)n);
        for (Eigen::Index i = 0; i < n; i++)
            entries.emplace_back(y[(size_t)(r0 + i)], (int)i, 1.0);
        Eigen::SparseMatrix<double, Eigen::RowMajor> Yt(numClasses(), n);
        Yt.setFromTriplets(entries.begin(), entries.end());
        classSums += Yt * rows;
    }
    for (int label : y)
        counts[label] += 1;
    gram += lower.selfadjointView<Eigen::Lower>();
}

void ClosedFormStatistics::merge(const ClosedFormStatistics& other)
{
    CV_Assert(other.featureDim() == featureDim() && other.numClasses() == numClasses());
    gram += other.gram;
    classSums += other.classSums;
    counts += other.counts;
}

bool solveSpdInPlace(Eigen::MatrixXd& A, Eigen::MatrixXd& B)
{
    CV_Assert(A.rows() == A.cols() && B.rows() == A.rows());
#ifdef ZSL_HAVE_LAPACK
    const int n = (int)A.rows(), nrhs = (int)B.cols();
    int info = 0;
    dpotrf_("L", &n, A.data(), &n, &info);
    if (info != 0)
        return false; // info > 0: leading minor not positive definite
    dpotrs_("L", &n, &nrhs, A.data(), &n, B.data(), &n, &info);
    CV_Assert(info == 0);
    return true;
#else
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> cholesky(A);
    if (cholesky.info() != Eigen::Success)
        return false;
    cholesky.solveInPlace(B);
    return true;
#endif
}

}}} // namespace cv::zsl::detail
