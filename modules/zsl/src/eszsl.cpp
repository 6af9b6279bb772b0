// This file is part of the opencv_zsl module (cv::zsl).
// ESZSL: Romera-Paredes & Torr, "An embarrassingly simple approach to zero-shot learning", ICML 2015.
#include "precomp.hpp"
#include "compatibility_model.hpp"

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
        const Eigen::Index D = X.cols(), C = S.rows();
        // X^T Y without forming Y: with Y = 2 onehot - 1, X^T Y = 2 (class sums) - (total sum) 1^T.
        Eigen::MatrixXf classSums = Eigen::MatrixXf::Zero(D, C);
        for (size_t i = 0; i < y.size(); i++)
            classSums.col(y[i]) += X.row((Eigen::Index)i).transpose();
        Eigen::MatrixXf XtY = 2 * classSums - X.colwise().sum().transpose() * Eigen::RowVectorXf::Ones(C);

        // The Gram matrix is the GEMM-bound part: a symmetric rank-N update does half the flops of X^T X.
        Eigen::MatrixXf gram = Eigen::MatrixXf::Zero(D, D);
        gram.selfadjointView<Eigen::Lower>().rankUpdate(X.transpose());
        // The solves are O(D^3) against O(N D^2) for the Gram matrix: doing them in double costs
        // little and keeps small regularisers (ill-conditioned systems) accurate.
        Eigen::MatrixXd left = gram.cast<double>().selfadjointView<Eigen::Lower>();
        left.diagonal().array() += gamma_;
        Eigen::MatrixXd right = (S.transpose() * S).cast<double>();
        right.diagonal().array() += lambda_;

        Eigen::LDLT<Eigen::MatrixXd> leftSolver(left), rightSolver(right);
        if (leftSolver.info() != Eigen::Success || rightSolver.info() != Eigen::Success)
            CV_Error(Error::StsError, "zsl ESZSL: the regularised system is singular (increase eszslGamma / eszslLambda)");
        Eigen::MatrixXd XtYS = (XtY * S).cast<double>();              // D x A
        Eigen::MatrixXd solvedLeft = leftSolver.solve(XtYS);          // (X^T X + gI)^-1 X^T Y S
        V_ = rightSolver.solve(solvedLeft.transpose()).transpose().cast<float>(); // ... (S^T S + lI)^-1
        if (!V_.allFinite())
            CV_Error(Error::StsError, "zsl ESZSL: training produced non-finite weights (increase the regularisers)");
    }

    RowMatrixXf scores(const RowMatrixXf& X, const RowMatrixXf& P) const CV_OVERRIDE
    {
        return (X * V_) * P.transpose();
    }

    RowMatrixXf embed(const RowMatrixXf& X) const CV_OVERRIDE { return X * V_; }

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
