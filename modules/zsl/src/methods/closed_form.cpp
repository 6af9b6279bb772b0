// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "methods/closed_form.hpp"
#include <cmath>
#include <limits>

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

namespace {

//! out = rows [r0, r0 + n) of X in double, the rows spread over cv::parallel_for_ (a memory-bound copy that
//! one thread would run while the BLAS threads wait).
void widenRows(const RowRefXf& X, Eigen::Index r0, Eigen::Index n, RowMatrixXd& out)
{
    out.resize(n, X.cols());
    cv::parallel_for_(Range(0, (int)n), [&](const Range& r) {
        out.middleRows(r.start, r.end - r.start) = X.middleRows(r0 + r.start, r.end - r.start).cast<double>();
    }, 8);
}

//! The rows per block of floatBlockGram() for N rows: balanced blocks of at most 16,384 rows.
Eigen::Index floatBlockRows(Eigen::Index rows)
{
    const Eigen::Index maxBlock = 16384, blocks = std::max<Eigen::Index>(1, (rows + maxBlock - 1) / maxBlock);
    return std::max<Eigen::Index>(1, (rows + blocks - 1) / blocks);
}

} // namespace

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
        widenRows(X, r0, n, rows);
        lower.selfadjointView<Eigen::Lower>().rankUpdate(rows.transpose());
    }
    gram += lower.selfadjointView<Eigen::Lower>();
    addClassSums(X, y);
}

void ClosedFormStatistics::addClassSums(const RowRefXf& X, const std::vector<int>& y)
{
    CV_Assert(X.cols() == classSums.cols() && (Eigen::Index)y.size() == X.rows());
    // Fixed chunks of rows, each summed in row order by one thread into its own C x D partial (rows widened
    // on the fly, no N x D double copy), the partials then added in chunk order: the result depends only on
    // the rows, not on the thread count. Whole rows stream through each thread; the former feature stripes
    // read 256 bytes of every row per stripe and paid a TLB miss per page and stripe (4-6x slower at
    // 23,527 x 2,048). At most 16 partials within 64 MiB (one serial accumulator for huge D x C).
    const Eigen::Index N = X.rows(), D = X.cols(), C = classSums.rows();
    const Eigen::Index budget = (Eigen::Index(64) << 20) / ((Eigen::Index)sizeof(double) * std::max<Eigen::Index>(1, D * C));
    const Eigen::Index chunks = std::max<Eigen::Index>(1, std::min<Eigen::Index>({16, budget, (N + 1023) / 1024}));
    const Eigen::Index perChunk = (N + chunks - 1) / chunks;
    std::vector<RowMatrixXd> partial((size_t)chunks);
    cv::parallel_for_(Range(0, (int)chunks), [&](const Range& r) {
        for (int k = r.start; k < r.end; k++)
        {
            RowMatrixXd& sums = partial[(size_t)k];
            sums.setZero(C, D);
            const Eigen::Index r1 = std::min(N, (k + 1) * perChunk);
            for (Eigen::Index i = k * perChunk; i < r1; i++)
                sums.row(y[(size_t)i]) += X.row(i).cast<double>();
        }
    });
    for (const RowMatrixXd& sums : partial)
        classSums += sums;
    for (int label : y)
        counts[label] += 1;
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

void solveWithCholeskyFactor(const Eigen::MatrixXd& factor, Eigen::MatrixXd& B)
{
    CV_Assert(factor.rows() == factor.cols() && B.rows() == factor.rows());
#ifdef ZSL_HAVE_LAPACK
    const int n = (int)factor.rows(), nrhs = (int)B.cols();
    int info = 0;
    dpotrs_("L", &n, &nrhs, factor.data(), &n, B.data(), &n, &info);
    CV_Assert(info == 0);
#else
    factor.triangularView<Eigen::Lower>().solveInPlace(B);
    factor.triangularView<Eigen::Lower>().transpose().solveInPlace(B);
#endif
}

Eigen::MatrixXd floatBlockGram(const RowRefXf& X)
{
    // Balanced blocks of at most 16,384 rows: each adds one D x D float-to-double sum (memory-bound, next to
    // OpenBLAS threads that spin after each call), so fewer, larger blocks are faster; the float rounding
    // grows with the rows per block (first refinement correction at 23,527 x 2,048 on uniform [0, 1) data:
    // 4.8e-6 with 2,048-row blocks, 1.1e-5 with two blocks, 2.1e-5 with one), and one refinement step still
    // brings any of them below refineGramSolve()'s bound.
    const Eigen::Index D = X.cols(), block = floatBlockRows(X.rows());
    Eigen::MatrixXd lower = Eigen::MatrixXd::Zero(D, D);
    Eigen::MatrixXf part(D, D);
    for (Eigen::Index r0 = 0; r0 < X.rows(); r0 += block)
    {
        const Eigen::Index n = std::min(block, X.rows() - r0);
        part.setZero();
        part.selfadjointView<Eigen::Lower>().rankUpdate(X.middleRows(r0, n).transpose());
        // Column by column over cv::parallel_for_: Eigen's triangular view does not vectorise this sum,
        // which ran on one thread for ~20 % of the Gram matrix's time (D = 2048).
        cv::parallel_for_(Range(0, (int)D), [&](const Range& r) {
            for (Eigen::Index j = r.start; j < r.end; j++)
                lower.col(j).tail(D - j) += part.col(j).tail(D - j).cast<double>();
        }, 32);
    }
    return lower;
}

double refineGramSolve(const RowRefXf& X, double gamma, const Eigen::MatrixXd& factor, const Eigen::MatrixXd& B,
                       Eigen::MatrixXd& Z, int maxSteps)
{
    CV_Assert(X.cols() == factor.rows() && B.rows() == X.cols() && Z.rows() == B.rows() && Z.cols() == B.cols());
    // Blocks of 512 rows: the widened block (4 MiB at D = 2048) stays in cache for its two products
    // (10-15 % faster than 2,048-row blocks).
    const Eigen::Index block = 512;
    RowMatrixXd rows;
    Eigen::MatrixXd XZ, residual;
    double change = 0, estimate = std::numeric_limits<double>::infinity();
    for (int step = 0; step < maxSteps; step++)
    {
        residual = B - gamma * Z;
        for (Eigen::Index r0 = 0; r0 < X.rows(); r0 += block)
        {
            const Eigen::Index n = std::min(block, X.rows() - r0);
            widenRows(X, r0, n, rows);
            XZ.noalias() = rows * Z;
            residual.noalias() -= rows.transpose() * XZ;
        }
        solveWithCholeskyFactor(factor, residual);
        Z += residual;
        const double size = Z.cwiseAbs().maxCoeff(), previous = change;
        change = size > 0 ? residual.cwiseAbs().maxCoeff() / size : 0;
        // The error left is about change x the contraction rate; the rate is estimated by the ratio of
        // successive corrections, and before the second one by the first correction itself (the initial
        // error and the rate are both ~ cond x the Gram matrix's rounding).
        const double rate = step == 0 ? change : change / previous;
        estimate = change * rate;
        if (!(estimate > kRefinedSolveTolerance))
            break;
        if (std::isnan(change) || (step > 0 && change > 0.5 * previous))
            return std::numeric_limits<double>::infinity(); // not contracting: the approximation is too coarse
    }
    return estimate;
}

}}} // namespace cv::zsl::detail
