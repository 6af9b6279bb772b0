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

Eigen::MatrixXd gramMatrix(const RowRefXf& X)
{
    Eigen::MatrixXf lower = Eigen::MatrixXf::Zero(X.cols(), X.cols());
    lower.selfadjointView<Eigen::Lower>().rankUpdate(X.transpose());
    Eigen::MatrixXd gram = lower.cast<double>().selfadjointView<Eigen::Lower>();
    return gram;
}

RowMatrixXf classSums(const RowRefXf& X, const std::vector<int>& y, int numClasses)
{
    CV_Assert((Eigen::Index)y.size() == X.rows());
    // Y^T as a C x N sparse matrix with one unit entry per column.
    std::vector<Eigen::Triplet<float>> entries;
    entries.reserve(y.size());
    for (size_t i = 0; i < y.size(); i++)
        entries.emplace_back(y[i], (int)i, 1.0f);
    Eigen::SparseMatrix<float, Eigen::RowMajor> Yt(numClasses, X.rows());
    Yt.setFromTriplets(entries.begin(), entries.end());
    RowMatrixXf sums = Yt * X;
    return sums;
}

Eigen::VectorXd classCounts(const std::vector<int>& y, int numClasses)
{
    Eigen::VectorXd counts = Eigen::VectorXd::Zero(numClasses);
    for (int label : y)
        counts[label] += 1;
    return counts;
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
