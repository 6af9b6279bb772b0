// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "bilinear_ranking.hpp"
#include "nn_gemm.hpp"
#include "nn_training.hpp"
#include "optimizer.hpp"

namespace cv {
namespace zsl {
namespace detail {

BilinearRankingModel::BilinearRankingModel(const ZeroShotClassifier::Params& p, const BilinearRankingOptions& options)
    : params_(p), options_(options), margin_(p.margin > 0 ? (float)p.margin : options.defaultMargin)
{
}

// Trains W on (X, y, S) for up to options.epochs epochs; validates on (Xv, yv, Sv) when Xv has rows.
static nn::EpochSummary trainBilinear(nn::Parameter& W, const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                                      const RowMatrixXf& Xv, const std::vector<int>& yv, const RowMatrixXf& Sv,
                                      const nn::EpochOptions& options, const ZeroShotClassifier::Params& p,
                                      const BilinearRankingOptions& method, float margin, nn::Rng& rng,
                                      const ProgressCallback& progress)
{
    std::unique_ptr<nn::Optimizer> optimizer;
    if (method.adam)
        optimizer.reset(new nn::Adam({&W}, p.learningRate, p.weightDecay));
    else
        optimizer.reset(new nn::Sgd({&W}, p.learningRate, /*momentum*/ 0.0, p.weightDecay));
    RowMatrixXf Xb, XW, F, G, GS;
    nn::EpochFunctions fn;
    fn.step = [&](const int* rows, int n) {
        nn::gatherRows(X, rows, n, Xb);
        const std::vector<int> yb = nn::gatherLabels(y, rows, n);
        nn::matmul(Xb, W.value, XW);                              // B x A
        nn::matmulNT(XW, S, F);                                   // B x C compatibilities
        const double loss = nn::hingeRankLoss(F, yb, margin, method.loss, &G);
        // dLoss/dW = Xb^T (dLoss/dF) S: the D x A product is the expensive one, (B x C)(C x A) is small.
        GS.noalias() = G * S;
        nn::matmulTN(Xb, GS, W.grad);
        optimizer->step();
        return loss;
    };
    RowMatrixXf best;
    if (Xv.rows() > 0)
    {
        fn.validate = [&]() { return nn::perClassTop1((Xv * W.value) * Sv.transpose(), yv); };
        fn.saveBest = [&]() { best = W.value; };
        fn.restoreBest = [&]() { W.value = best; };
    }
    nn::EpochSummary summary = nn::runEpochs((int)X.rows(), options, rng, fn, progress);
    if (!W.value.allFinite())
        CV_Error(Error::StsError, cv::format("zsl %s: training produced non-finite weights; lower learningRate", method.name));
    return summary;
}

void BilinearRankingModel::train(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& seen,
                                 const ProgressCallback& progress)
{
    RowMatrixXf S = seen;
    if (options_.unitPrototypes)
        normalizeRows(S);
    const int D = (int)X.cols(), A = (int)S.cols(), C = (int)S.rows();
    nn::Rng rng(params_.seed);
    // Small random start: decided by the seed, and off the all-scores-tie point W = 0.
    nn::Parameter W;
    W.name = "W";
    W.value.resize(D, A);
    nn::fillNormal(W.value, rng, 1e-3f / std::sqrt((float)D));
    W.grad.setZero(D, A);
    const RowMatrixXf W0 = W.value;

    nn::EpochOptions options = nn::epochOptionsFrom(params_);
    const nn::ClassSplit split = nn::splitClasses(y, C, params_.validationFraction, rng);
    if (split.hasValidation())
    {
        // Choose the number of epochs on held-out seen classes, then retrain from the same start on all
        // of them for that many (the protocol of Xian et al.'s GBU benchmark): no seen class is wasted.
        const nn::EpochSummary s = trainBilinear(
            W, nn::gatherRows(X, split.trainRows), split.trainLabels, S(split.trainClasses, Eigen::all),
            nn::gatherRows(X, split.valRows), split.valLabels, S(split.valClasses, Eigen::all),
            options, params_, options_, margin_, rng, progress);
        CV_LOG_INFO(NULL, cv::format("zsl %s: early stopping chose %d epochs (validation top-1 %.4f)",
                                     options_.name, s.bestEpoch, s.bestValidation));
        options.epochs = s.bestEpoch;
        W.value = W0;
    }
    trainBilinear(W, X, y, S, RowMatrixXf(), std::vector<int>(), RowMatrixXf(), options, params_, options_, margin_,
                  rng, progress);
    W_ = W.value;
}

RowMatrixXf BilinearRankingModel::scores(const RowMatrixXf& X, const RowMatrixXf& P) const
{
    if (options_.unitPrototypes)
        return nn::cosineSimilarity(X * W_, P);
    return (X * W_) * P.transpose();
}

RowMatrixXf BilinearRankingModel::embed(const RowMatrixXf& X) const
{
    return X * W_;
}

void BilinearRankingModel::write(FileStorage& fs) const
{
    fs << "method" << options_.name;
    writeMatrix(fs, "W", W_);
}

void BilinearRankingModel::read(const FileNode& node)
{
    String m;
    node["method"] >> m;
    if (m != options_.name)
        CV_Error(Error::StsParseError, cv::format("zsl model: model section is '%s', expected %s", m.c_str(), options_.name));
    W_ = readMatrix(node, "W");
}

}}} // namespace cv::zsl::detail
