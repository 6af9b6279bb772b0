// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "methods/bilinear_ranking.hpp"
#include "nn/nn_gemm.hpp"
#include "nn/nn_training.hpp"
#include "nn/optimizer.hpp"

namespace cv {
namespace zsl {
namespace detail {

BilinearRankingModel::BilinearRankingModel(const ZeroShotClassifier::Params& p, const BilinearRankingOptions& options)
    : params_(p), options_(options), margin_(p.margin > 0 ? (float)p.margin : options.defaultMargin)
{
}

// The engine's GEMM helpers split the result by 256-column stripes; with A < 256 prototype dimensions
// (85 for AwA2) that is a single stripe, so the two D-sized products of a step are split here by fixed
// row blocks instead. Block sizes depend on the shapes only: results are the same for any thread count.
static const Eigen::Index kBatchBlock = 16, kFeatureBlock = 256;
static const double kParallelMinWork = 4e6; // multiply-adds below which a thread hand-off costs more than it saves

template <typename Body>
static void forBlocks(Eigen::Index total, Eigen::Index block, double work, const Body& body)
{
#ifdef EIGEN_USE_BLAS
    // Eigen hands each product to the BLAS, which runs its own threads: one call, no blocks.
    CV_UNUSED(block);
    CV_UNUSED(work);
    body(0, total);
#else
    const int blocks = (int)((total + block - 1) / block);
    auto run = [&](const Range& r) {
        for (int b = r.start; b < r.end; b++)
            body(b * block, std::min(block, total - b * block));
    };
    if (blocks < 2 || work < kParallelMinWork || cv::getNumThreads() < 2)
        run(Range(0, blocks));
    else
        cv::parallel_for_(Range(0, blocks), run);
#endif
}

// XW = Xb W (B x A), by blocks of the batch rows.
static void batchTimesWeights(const RowMatrixXf& Xb, const RowMatrixXf& W, RowMatrixXf& XW)
{
    XW.resize(Xb.rows(), W.cols());
    forBlocks(Xb.rows(), kBatchBlock, (double)Xb.size() * W.cols(), [&](Eigen::Index r0, Eigen::Index n) {
        XW.middleRows(r0, n).noalias() = Xb.middleRows(r0, n) * W;
    });
}

// grad = Xb^T GS (D x A), by blocks of the feature dimension.
static void weightGradient(const RowMatrixXf& Xb, const RowMatrixXf& GS, RowMatrixXf& grad)
{
    grad.resize(Xb.cols(), GS.cols());
    forBlocks(Xb.cols(), kFeatureBlock, (double)Xb.size() * GS.cols(), [&](Eigen::Index r0, Eigen::Index n) {
        grad.middleRows(r0, n).noalias() = Xb.middleCols(r0, n).transpose() * GS;
    });
}

// Trains W on (X, y, S) for up to options.epochs epochs; validates on (Xv, yv, Sv) when Xv has rows.
static nn::EpochSummary trainBilinear(nn::Parameter& W, const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
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
        batchTimesWeights(Xb, W.value, XW);                       // B x A
        nn::matmulNT(XW, S, F);                                   // B x C compatibilities
        const double loss = nn::hingeRankLoss(F, yb, margin, method.loss, &G);
        // dLoss/dW = Xb^T (dLoss/dF) S: the D x A product is the expensive one, (B x C)(C x A) is small.
        GS.noalias() = G * S;
        weightGradient(Xb, GS, W.grad);
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

void BilinearRankingModel::train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& seen,
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

RowMatrixXf BilinearRankingModel::scores(const RowRefXf& X, const RowMatrixXf& P) const
{
    const RowMatrixXf XW = productForRows(X, W_);
    if (options_.unitPrototypes)
        return nn::cosineSimilarity(XW, P);
    return productForRows(XW, P.transpose());
}

RowMatrixXf BilinearRankingModel::embed(const RowRefXf& X) const
{
    return productForRows(X, W_);
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
