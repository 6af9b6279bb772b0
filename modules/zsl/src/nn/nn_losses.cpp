// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "nn/nn_losses.hpp"

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

static const float kNormFloor = 1e-8f;

void checkLossLabels(const std::vector<int>& labels, Eigen::Index rows, Eigen::Index cols, const char* what)
{
    if ((Eigen::Index)labels.size() != rows)
        CV_Error(Error::StsBadSize, cv::format("%s: %d labels for %d rows", what, (int)labels.size(), (int)rows));
    for (size_t i = 0; i < labels.size(); i++)
        if (labels[i] < 0 || labels[i] >= cols)
            CV_Error(Error::StsOutOfRange, cv::format("%s: label %d of row %d is outside [0, %d)",
                                                      what, labels[i], (int)i, (int)cols));
}

static void checkSameShape(const RowMatrixXf& a, const RowMatrixXf& b, const char* what)
{
    if (a.rows() != b.rows() || a.cols() != b.cols() || a.rows() == 0)
        CV_Error(Error::StsBadSize, cv::format("%s: prediction %d x %d and target %d x %d must have the same non-empty shape",
                                               what, (int)a.rows(), (int)a.cols(), (int)b.rows(), (int)b.cols()));
}

double mseLoss(const RowMatrixXf& pred, const RowMatrixXf& target, RowMatrixXf* grad)
{
    checkSameShape(pred, target, "zsl nn::mseLoss");
    const double count = (double)pred.size();
    RowMatrixXf diff = pred - target;
    const double loss = (double)diff.squaredNorm() / count;
    if (grad)
        *grad = diff * (float)(2.0 / count);
    return loss;
}

double cosineLoss(const RowMatrixXf& pred, const RowMatrixXf& target, RowMatrixXf* grad)
{
    checkSameShape(pred, target, "zsl nn::cosineLoss");
    const Eigen::ArrayXf np = pred.rowwise().norm().array().max(kNormFloor);
    const Eigen::ArrayXf nt = target.rowwise().norm().array().max(kNormFloor);
    const Eigen::ArrayXf dot = pred.cwiseProduct(target).rowwise().sum().array();
    const Eigen::ArrayXf cosine = dot / (np * nt);
    const float n = (float)pred.rows();
    if (grad)
    {
        // d cos / d p = t / (|p| |t|) - cos p / |p|^2, and the loss is the mean of 1 - cos.
        const Eigen::ArrayXf a = -1.f / (n * np * nt);
        const Eigen::ArrayXf b = cosine / (n * np * np);
        grad->resize(pred.rows(), pred.cols());
        grad->array() = target.array().colwise() * a + pred.array().colwise() * b;
    }
    return (double)(1.f - cosine).cast<double>().mean();
}

RowMatrixXf logSoftmax(const RowMatrixXf& logits)
{
    RowMatrixXf out = logits.colwise() - logits.rowwise().maxCoeff();
    const Eigen::VectorXf logSum = out.array().exp().rowwise().sum().log().matrix();
    out.colwise() -= logSum;
    return out;
}

double softmaxCrossEntropy(const RowMatrixXf& logits, const std::vector<int>& labels, RowMatrixXf* grad)
{
    checkLossLabels(labels, logits.rows(), logits.cols(), "zsl nn::softmaxCrossEntropy");
    RowMatrixXf lsm = logSoftmax(logits);
    const Eigen::Index n = logits.rows();
    double loss = 0;
    for (Eigen::Index i = 0; i < n; i++)
        loss -= lsm(i, labels[i]);
    if (grad)
    {
        *grad = lsm.array().exp();
        for (Eigen::Index i = 0; i < n; i++)
            (*grad)(i, labels[i]) -= 1.f;
        *grad *= 1.f / (float)n;
    }
    return loss / (double)n;
}

double hingeRankLoss(const RowMatrixXf& scores, const std::vector<int>& labels, float margin, HingeType type,
                     RowMatrixXf* grad)
{
    checkLossLabels(labels, scores.rows(), scores.cols(), "zsl nn::hingeRankLoss");
    if (!(margin >= 0.f) || !std::isfinite(margin))
        CV_Error(Error::StsOutOfRange, cv::format("zsl nn::hingeRankLoss: margin %g must be finite and >= 0", margin));
    const Eigen::Index n = scores.rows(), c = scores.cols();
    Eigen::VectorXf truth(n);
    for (Eigen::Index i = 0; i < n; i++)
        truth[i] = scores(i, labels[i]);
    // v_ij = max(0, m + s_ij - s_iy), with the true class excluded.
    RowMatrixXf v = ((scores.array() + margin).colwise() - truth.array()).max(0.f).matrix();
    for (Eigen::Index i = 0; i < n; i++)
        v(i, labels[i]) = 0.f;

    Eigen::VectorXf rowLoss(n);
    RowMatrixXf g;
    if (grad)
        g.setZero(n, c);
    switch (type)
    {
    case HINGE_SUM:
    {
        rowLoss = v.rowwise().sum();
        if (grad)
        {
            g = (v.array() > 0.f).cast<float>().matrix();
            const Eigen::VectorXf count = g.rowwise().sum();
            for (Eigen::Index i = 0; i < n; i++)
                g(i, labels[i]) = -count[i];
        }
        break;
    }
    case HINGE_MAX:
    {
        for (Eigen::Index i = 0; i < n; i++)
        {
            Eigen::Index j = 0;
            rowLoss[i] = v.row(i).maxCoeff(&j); // Eigen returns the first maximum: ties -> lowest index
            if (grad && rowLoss[i] > 0.f)
            {
                g(i, j) = 1.f;
                g(i, labels[i]) = -1.f;
            }
        }
        break;
    }
    case HINGE_RANK_WEIGHTED:
    {
        const Eigen::ArrayXf violations = (v.array() > 0.f).cast<float>().rowwise().sum();
        // beta(r) / r with beta(r) = H_r, the r-th harmonic number (tabulated up to c).
        std::vector<float> harmonic(c + 1, 0.f);
        for (Eigen::Index r = 1; r <= c; r++)
            harmonic[r] = harmonic[r - 1] + 1.f / (float)r;
        Eigen::ArrayXf weight(n);
        for (Eigen::Index i = 0; i < n; i++)
        {
            const int r = (int)violations[i];
            weight[i] = r > 0 ? harmonic[r] / (float)r : 0.f;
        }
        rowLoss = (v.rowwise().sum().array() * weight).matrix();
        if (grad)
        {
            g = ((v.array() > 0.f).cast<float>().colwise() * weight).matrix();
            for (Eigen::Index i = 0; i < n; i++)
                g(i, labels[i]) = -weight[i] * violations[i];
        }
        break;
    }
    default:
        CV_Error(Error::StsOutOfRange, cv::format("zsl nn::hingeRankLoss: unknown type %d", (int)type));
    }
    if (grad)
        *grad = g * (1.f / (float)n);
    return (double)rowLoss.cast<double>().mean();
}

double gaussianKl(const RowMatrixXf& mu, const RowMatrixXf& logvar, RowMatrixXf* gradMu, RowMatrixXf* gradLogvar)
{
    checkSameShape(mu, logvar, "zsl nn::gaussianKl");
    const float n = (float)mu.rows();
    const Eigen::ArrayXXf var = logvar.array().exp();
    const double kl = -0.5 * (double)(1.f + logvar.array() - mu.array().square() - var).cast<double>().sum() / n;
    if (gradMu)
        *gradMu = mu * (1.f / n);
    if (gradLogvar)
    {
        gradLogvar->resize(mu.rows(), mu.cols());
        gradLogvar->array() = (var - 1.f) * (0.5f / n);
    }
    return kl;
}

double l1Loss(const RowMatrixXf& pred, const RowMatrixXf& target, RowMatrixXf* grad)
{
    checkSameShape(pred, target, "zsl nn::l1Loss");
    const float n = (float)pred.rows();
    const Eigen::ArrayXXf diff = pred.array() - target.array();
    if (grad)
    {
        grad->resize(pred.rows(), pred.cols());
        grad->array() = diff.sign() * (1.f / n);
    }
    return (double)diff.abs().cast<double>().sum() / (double)n;
}

double gaussianWasserstein(const RowMatrixXf& mu1, const RowMatrixXf& logvar1, const RowMatrixXf& mu2,
                           const RowMatrixXf& logvar2, RowMatrixXf* gradMu1, RowMatrixXf* gradLogvar1,
                           RowMatrixXf* gradMu2, RowMatrixXf* gradLogvar2)
{
    checkSameShape(mu1, logvar1, "zsl nn::gaussianWasserstein (mu1, logvar1)");
    checkSameShape(mu1, mu2, "zsl nn::gaussianWasserstein (mu1, mu2)");
    checkSameShape(mu1, logvar2, "zsl nn::gaussianWasserstein (mu1, logvar2)");
    const float n = (float)mu1.rows();
    const Eigen::ArrayXXf s1 = (0.5f * logvar1.array()).exp(), s2 = (0.5f * logvar2.array()).exp();
    const Eigen::ArrayXXf dm = mu1.array() - mu2.array(), ds = s1 - s2;
    const Eigen::ArrayXf dist = (dm.square().rowwise().sum() + ds.square().rowwise().sum()).sqrt();
    // d dist / d mu1 = dm / dist; d dist / d sigma1 = ds / dist; d sigma / d logvar = sigma / 2.
    const Eigen::ArrayXf inv = (dist > 0.f).select(1.f / (dist * n), 0.f);
    const Eigen::ArrayXXf gm = dm.colwise() * inv, gs = ds.colwise() * inv;
    if (gradMu1)
        *gradMu1 = gm.matrix();
    if (gradMu2)
        *gradMu2 = (-gm).matrix();
    if (gradLogvar1)
        *gradLogvar1 = (gs * s1 * 0.5f).matrix();
    if (gradLogvar2)
        *gradLogvar2 = (-gs * s2 * 0.5f).matrix();
    return (double)dist.cast<double>().sum() / (double)n;
}

}}}} // namespace cv::zsl::detail::nn
