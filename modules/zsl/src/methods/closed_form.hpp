// This file is part of the opencv_zsl module (cv::zsl).
// Internal: the statistics shared by the closed-form methods (ESZSL, SAE).
#ifndef OPENCV_ZSL_CLOSED_FORM_HPP
#define OPENCV_ZSL_CLOSED_FORM_HPP

#include "eigen_bridge.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** The sufficient statistics of the closed-form methods (ESZSL, SAE): everything their solves read
    from the training set. Sums over samples, so the statistics of a concatenation are the sums of the
    statistics of its parts (merge()); both methods train from them alone (CompatibilityModel::
    trainFromStatistics()), and their train(X, y, S) is add(X, y) followed by that solve. */
struct ClosedFormStatistics
{
    ClosedFormStatistics(int featureDim, int numClasses);

    /** Adds N x D rows with labels in [0, C). Everything is accumulated in double: the rows are taken in
        blocks of blockRows(D), widened to double, and each block adds its symmetric rank update (BLAS
        dsyrk: the only O(N D^2) step of training); the class sums are addClassSums()'s. Float Gram matrices would differ
        between shardings by ~1e-7 relative, which the ESZSL solve amplifies by the condition number
        (3e-5 on a well-posed synthetic problem); in double, shards merged match one pass to ~1e-12.
        The result depends only on the rows and their order (not on threads). */
    void add(const RowRefXf& X, const std::vector<int>& y);

    //! Rows per block of add(): the widened block stays near 32 MiB (64 to 4096 rows).
    static Eigen::Index blockRows(Eigen::Index featureDim);

    //! Adds the statistics of another part (same D and C): elementwise sums, in double.
    void merge(const ClosedFormStatistics& other);

    int featureDim() const { return (int)gram.rows(); }
    int numClasses() const { return (int)counts.size(); }
    double numSamples() const { return counts.sum(); }

    /** The class sums and counts of add() without the Gram matrix, which stays as it is (for
        train() paths that form X^T X themselves: floatBlockGram()). Every feature value is added to one
        double sum, and finite floats cannot overflow a double sum of fewer than 2^900 terms: the sums are
        finite exactly when X is, so such paths check classSums.allFinite() instead of scanning X again. */
    void addClassSums(const RowRefXf& X, const std::vector<int>& y);

    Eigen::MatrixXd gram;      //!< X^T X, D x D, exactly symmetric
    Eigen::MatrixXd classSums; //!< C x D: row c is the sum of the rows labelled c
    Eigen::VectorXd counts;    //!< C: samples of each class
};

/** Solves A Z = B in place (B becomes Z) for a symmetric A whose lower triangle is read; the lower
    triangle and diagonal of A are overwritten by its Cholesky factor, the strict upper triangle is kept.
    Returns false, leaving B unchanged, when A is not numerically positive definite. LAPACK's blocked, multi-threaded dpotrf/dpotrs when the BLAS backend carries LAPACK
    (Eigen's LLT runs its panels on one thread: 2-3x slower at D = 2048), else Eigen's LLT. */
bool solveSpdInPlace(Eigen::MatrixXd& A, Eigen::MatrixXd& B);

/** Solves again with the factor solveSpdInPlace() left in A (lower triangle): B becomes A^-1 B. */
void solveWithCholeskyFactor(const Eigen::MatrixXd& factor, Eigen::MatrixXd& B);

/** X^T X (lower triangle filled, upper zero) from float rank updates: balanced blocks of at most 16,384 rows,
    each one BLAS ssyrk on a view of X (no widened copy; twice dsyrk's rate), added to a double accumulator.
    Each entry carries the float rounding of one block (~1e-7 to 1e-6 relative, growing with the block's
    rows), not of all N rows. A solve with it is refined against X by refineGramSolve() to the accuracy
    of the double statistics; this is how the direct train() of ESZSL runs at float speed. */
Eigen::MatrixXd floatBlockGram(const RowRefXf& X);

//! The error refineGramSolve() stops at, relative to max |Z|: a sixtieth of the float rounding of the weights.
constexpr double kRefinedSolveTolerance = 1e-9;

/** Iterative refinement of Z ~ (X^T X + gamma I)^-1 B, where `factor` is the Cholesky factor of an
    approximation of that matrix (floatBlockGram() + gamma I): residuals R = B - gamma Z - X^T (X Z) in
    double (X widened 512 rows at a time, two DGEMMs of N x D x cols(B) per step), corrections solved with
    the factor, until the error left (the last correction relative to Z times the estimated contraction
    rate) is below kRefinedSolveTolerance: one step for well-posed systems (AwA2 scale: first correction
    5e-6 to 2e-5, the next ~1e-10). Returns that estimate: <= the tolerance when converged, larger when
    maxSteps ran out, infinity when the corrections stop shrinking (by half a step) or turn NaN: the
    approximation is too coarse for this system and the caller solves it exactly instead. */
double refineGramSolve(const RowRefXf& X, double gamma, const Eigen::MatrixXd& factor, const Eigen::MatrixXd& B,
                       Eigen::MatrixXd& Z, int maxSteps = 8);

}}} // namespace cv::zsl::detail

#endif
