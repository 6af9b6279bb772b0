// This file is part of the opencv_zsl module (cv::zsl).
// ESZSL: Romera-Paredes & Torr, "An embarrassingly simple approach to zero-shot learning", ICML 2015.
#include "precomp.hpp"
#include "methods/compatibility_model.hpp"
#include "methods/closed_form.hpp"
#include <Eigen/Eigenvalues>

namespace cv {
namespace zsl {
namespace detail {

/** Bilinear compatibility F(x, s) = x^T V s with the closed form
        V = (X^T X + gamma I)^-1 X^T Y S (S^T S + lambda I)^-1
    (X: N x D features, Y: N x C in {-1, +1}, S: C x A seen prototypes). */
class EszslModel CV_FINAL : public CompatibilityModel
{
public:
    explicit EszslModel(const ZeroShotClassifier::Params& p) : gamma_(p.eszslGamma), lambda_(p.eszslLambda) {}

    int method() const CV_OVERRIDE { return ZeroShotClassifier::ESZSL; }

    /** The direct path: the Gram matrix from float rank updates (floatBlockGram(), ~2x faster than the
        double statistics), the left solve refined against X in double (refineGramSolve()), so the weights
        agree with trainFromStatistics() on the same rows to the float rounding of V. A system that is not
        numerically positive definite (gamma = 0 with fewer samples than dimensions), or whose refinement does
        not converge in 8 steps (too ill-conditioned for float rounding), goes the exact way. */
    void train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback&) CV_OVERRIDE
    {
        ClosedFormStatistics stats((int)X.cols(), (int)S.rows());
        stats.addClassSums(X, y);
        if (!stats.classSums.allFinite()) // finite exactly when X is (addClassSums()): name the first bad value
        {
            checkFinite(Mat((int)X.rows(), (int)X.cols(), CV_32F, const_cast<float*>(X.data()), (size_t)X.outerStride() * sizeof(float)),
                        kTrainFeaturesWhat);
            CV_Error(Error::StsBadArg, cv::format("%s: non-finite value (NaN or Inf)", kTrainFeaturesWhat));
        }
        Eigen::MatrixXd left = floatBlockGram(X);
        left.diagonal().array() += gamma_;
        const Eigen::MatrixXd rhs = leftRightHandSide(stats, S);
        Eigen::MatrixXd solved = rhs;
        if (!solveSpdInPlace(left, solved) || !(refineGramSolve(X, gamma_, left, rhs, solved) <= kRefinedSolveTolerance))
        {
            CV_LOG_DEBUG(NULL, "zsl ESZSL: the float Gram matrix does not converge to the exact solve; training from double statistics");
            ClosedFormStatistics exact((int)X.cols(), (int)S.rows());
            exact.add(X, y);
            trainFromStatistics(std::move(exact), S);
            return;
        }
        finish(solved, S);
    }

    bool trainChecksFiniteFeatures() const CV_OVERRIDE { return true; }

    void trainFromStatistics(ClosedFormStatistics stats, const RowMatrixXf& S) CV_OVERRIDE
    {
        CV_Assert(stats.numClasses() == S.rows());
        const Eigen::MatrixXd rhs = leftRightHandSide(stats, S);
        Eigen::MatrixXd solved = rhs;
        Eigen::MatrixXd left = std::move(stats.gram);
        left.diagonal().array() += gamma_;
        // Cholesky first; LDLT's pivoting is the fallback for the semi-definite case (gamma = 0 with fewer
        // samples than dimensions). The factorisation keeps the strict upper triangle: with the diagonal
        // saved, the system is still there for the fallback, without a copy of the D x D matrix.
        const Eigen::VectorXd diagonal = left.diagonal();
        if (!solveSpdInPlace(left, solved))
        {
            left.diagonal() = diagonal;
            Eigen::LDLT<Eigen::MatrixXd, Eigen::Upper> leftSolver(left);
            if (leftSolver.info() == Eigen::Success)
                solved = leftSolver.solve(rhs).eval();
            else
                solved = pseudoInverseSolve(left, rhs);
        }
        finish(solved, S);
    }

    /** The right-hand side of the left solve: X^T Y S (D x A), or X^T Y (D x C) when there are fewer
        classes than attributes (finish() then multiplies by S: fewer columns to solve and refine).
        X^T Y without forming Y: with Y = 2 onehot - 1, X^T Y = 2 (class sums) - (total sum) 1^T; the
        total sum is the sum of the class sums (every row has one label). */
    static Eigen::MatrixXd leftRightHandSide(const ClosedFormStatistics& stats, const RowMatrixXf& S)
    {
        const Eigen::MatrixXd& sums = stats.classSums; // C x D
        Eigen::MatrixXd XtY = 2 * sums.transpose() - sums.colwise().sum().transpose() * Eigen::RowVectorXd::Ones(S.rows());
        if (S.rows() <= S.cols())
            return XtY;
        return XtY * S.cast<double>();
    }

    //! V = (left solution) [S] (S^T S + lambda I)^-1. The solves are O(D^3) against O(N D^2) for the Gram
    //! matrix: doing them in double costs little and keeps small regularisers (ill-conditioned systems) accurate.
    void finish(const Eigen::MatrixXd& solved, const RowMatrixXf& S)
    {
        const Eigen::MatrixXd solvedLeft = S.rows() <= S.cols() ? Eigen::MatrixXd(solved * S.cast<double>()) : solved;
        Eigen::MatrixXd right = (S.transpose() * S).cast<double>();
        right.diagonal().array() += lambda_;
        Eigen::LDLT<Eigen::MatrixXd> rightSolver(right);
        if (rightSolver.info() != Eigen::Success)
            CV_Error(Error::StsError, "zsl ESZSL: the regularised system is singular (increase eszslLambda)");
        V_ = rightSolver.solve(solvedLeft.transpose()).transpose().cast<float>(); // ... (S^T S + lI)^-1
        if (!V_.allFinite())
            CV_Error(Error::StsError, "zsl ESZSL: training produced non-finite weights (increase the regularisers)");
    }

    /** Minimum-norm solution of G Z = B for a symmetric positive semi-definite G (upper triangle read):
        the last fallback, when LDLT meets a zero pivot followed by a non-zero one, as an exactly singular
        Gram matrix in double (fewer samples than dimensions, gamma = 0) does. Eigenvalues below
        D * eps * max are treated as zero; B lies in the range of G (B = X^T Y S), so G Z = B holds. */
    static Eigen::MatrixXd pseudoInverseSolve(const Eigen::MatrixXd& upper, const Eigen::MatrixXd& B)
    {
        const Eigen::MatrixXd G = upper.selfadjointView<Eigen::Upper>();
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(G);
        if (eig.info() != Eigen::Success)
            CV_Error(Error::StsError, "zsl ESZSL: the regularised system is singular (increase eszslGamma)");
        const Eigen::VectorXd& ev = eig.eigenvalues();
        const double tolerance = ev.cwiseAbs().maxCoeff() * (double)G.rows() * std::numeric_limits<double>::epsilon();
        const Eigen::VectorXd inverse = (ev.array() > tolerance).select(ev.array().inverse(), 0.0);
        return eig.eigenvectors() * (inverse.asDiagonal() * (eig.eigenvectors().transpose() * B));
    }

    RowMatrixXf scores(const RowRefXf& X, const RowMatrixXf& P) const CV_OVERRIDE
    {
        // Same product, cheaper association: X (V P^T) costs D A C + N D C multiply-adds, (X V) P^T costs
        // N D A + N A C. The first wins for large batches when C < A; a single image takes the second.
        const double n = (double)X.rows(), d = (double)V_.rows(), a = (double)V_.cols(), c = (double)P.rows();
        if (d * a * c + n * d * c < n * d * a + n * a * c)
        {
            const RowMatrixXf VP = matrixProduct(V_, P.transpose());  // D x C
            return matrixProduct(X, VP);
        }
        return matrixProduct(matrixProduct(X, V_), P.transpose());
    }

    RowMatrixXf embed(const RowRefXf& X) const CV_OVERRIDE { return matrixProduct(X, V_); }
    bool linearInFeatures() const CV_OVERRIDE { return true; }

    int featureDim() const CV_OVERRIDE { return (int)V_.rows(); }
    int prototypeDim() const CV_OVERRIDE { return (int)V_.cols(); }

    void write(FileStorage& fs) const CV_OVERRIDE
    {
        fs << "method" << "ESZSL";
        writeMatrix(fs, "V", V_);
    }

    void read(const FileNode& node) CV_OVERRIDE
    {
        String m;
        node["method"] >> m;
        if (m != "ESZSL")
            CV_Error(Error::StsParseError, cv::format("zsl model: model section is '%s', expected ESZSL", m.c_str()));
        V_ = readMatrix(node, "V");
    }

    const RowMatrixXf& weights() const { return V_; }

private:
    double gamma_, lambda_;
    RowMatrixXf V_; // D x A
};

std::shared_ptr<CompatibilityModel> createEszslModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<EszslModel>(params);
}

}}} // namespace cv::zsl::detail
