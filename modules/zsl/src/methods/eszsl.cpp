// This file is part of the opencv_zsl module (cv::zsl).
// ESZSL: Romera-Paredes & Torr, "An embarrassingly simple approach to zero-shot learning", ICML 2015.
#include "precomp.hpp"
#include "methods/compatibility_model.hpp"
#include "methods/closed_form.hpp"

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

    void train(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback&) CV_OVERRIDE
    {
        ClosedFormStatistics stats((int)X.cols(), (int)S.rows());
        stats.add(X, y);
        trainFromStatistics(stats, S);
    }

    void trainFromStatistics(const ClosedFormStatistics& stats, const RowMatrixXf& S) CV_OVERRIDE
    {
        const Eigen::Index C = S.rows();
        CV_Assert(stats.numClasses() == C);
        // X^T Y without forming Y: with Y = 2 onehot - 1, X^T Y = 2 (class sums) - (total sum) 1^T.
        const Eigen::MatrixXd& sums = stats.classSums;                // C x D
        Eigen::MatrixXd XtY = 2 * sums.transpose() - sums.colwise().sum().transpose() * Eigen::RowVectorXd::Ones(C);

        // The solves are O(D^3) against O(N D^2) for the Gram matrix: doing them in double costs
        // little and keeps small regularisers (ill-conditioned systems) accurate.
        Eigen::MatrixXd left = stats.gram;
        left.diagonal().array() += gamma_;
        Eigen::MatrixXd right = (S.transpose() * S).cast<double>();
        right.diagonal().array() += lambda_;

        Eigen::MatrixXd XtYS = XtY * S.cast<double>();                // D x A
        Eigen::MatrixXd solvedLeft;                                   // (X^T X + gI)^-1 X^T Y S
        // Blocked Cholesky is several times faster than LDLT at D ~ 2048; LDLT's pivoting is the fallback
        // for the semi-definite case (gamma = 0 with fewer samples than dimensions).
        Eigen::LLT<Eigen::MatrixXd> leftCholesky(left);
        if (leftCholesky.info() == Eigen::Success)
            solvedLeft = leftCholesky.solve(XtYS);
        else
        {
            Eigen::LDLT<Eigen::MatrixXd> leftSolver(left);
            if (leftSolver.info() != Eigen::Success)
                CV_Error(Error::StsError, "zsl ESZSL: the regularised system is singular (increase eszslGamma)");
            solvedLeft = leftSolver.solve(XtYS);
        }
        Eigen::LDLT<Eigen::MatrixXd> rightSolver(right);
        if (rightSolver.info() != Eigen::Success)
            CV_Error(Error::StsError, "zsl ESZSL: the regularised system is singular (increase eszslLambda)");
        V_ = rightSolver.solve(solvedLeft.transpose()).transpose().cast<float>(); // ... (S^T S + lI)^-1
        if (!V_.allFinite())
            CV_Error(Error::StsError, "zsl ESZSL: training produced non-finite weights (increase the regularisers)");
    }

    RowMatrixXf scores(const RowRefXf& X, const RowMatrixXf& P) const CV_OVERRIDE
    {
        // Same product, cheaper association: N D C + D A C flops when C < A, else N D A + N A C.
        if (P.rows() < V_.cols())
        {
            const RowMatrixXf VP = V_ * P.transpose();                // D x C
            return X * VP;
        }
        return (X * V_) * P.transpose();
    }

    RowMatrixXf embed(const RowRefXf& X) const CV_OVERRIDE { return X * V_; }
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
