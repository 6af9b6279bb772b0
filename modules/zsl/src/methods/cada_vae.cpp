// This file is part of the opencv_zsl module (cv::zsl).
// CADA_VAE: cross- and distribution-aligned VAEs (Schoenfeld et al., CVPR 2019) on the training engine,
// with the class-table machinery of the feature-generating methods (feature_generator.hpp) in the latent space.
#include "precomp.hpp"
#include "methods/cada_vae.hpp"
#include "methods/feature_generator.hpp"
#include "nn/nn_losses.hpp"
#include "nn/nn_training.hpp"
#include "nn/optimizer.hpp"

namespace cv {
namespace zsl {
namespace detail {

using namespace nn;

// log-variances are clamped to this range before exp() so that an early large step cannot overflow.
static const float kLogVarLimit = 8.f;
// The latent softmax classifier (the authors' code: Adam 1e-3, batch 32).
static const int kClassifierEpochs = 23, kClassifierBatch = 32;
static const double kClassifierLearningRate = 1e-3;

static float ramp(double epoch, double start, double end, double factor)
{
    if (end <= start)
        return epoch >= start ? (float)factor : 0.f;
    return (float)(std::min(std::max((epoch - start) / (end - start), 0.0), 1.0) * factor);
}

CadaWeights cadaWarmup(int epoch, int epochs)
{
    // The paper's schedule over 100 epochs (beta: epochs 0..93 -> 0.25; cross: 21..75 -> 2.37; distance: 6..22 -> 8.13).
    const double e = 100.0 * epoch / std::max(1, epochs);
    CadaWeights w;
    w.beta = ramp(e, 0, 93, 0.25);
    w.gamma = ramp(e, 21, 75, 2.37);
    w.delta = ramp(e, 6, 22, 8.13);
    return w;
}

RowMatrixXf sampleLatent(const RowMatrixXf& h, int latent, Rng& rng)
{
    RowMatrixXf eps(h.rows(), latent);
    fillNormal(eps, rng);
    const Eigen::ArrayXXf sd = (0.5f * h.rightCols(latent).array().max(-kLogVarLimit).min(kLogVarLimit)).exp();
    return (h.leftCols(latent).array() + sd * eps.array()).matrix();
}

std::vector<Parameter*> CadaVaeNets::parameters()
{
    std::vector<Parameter*> all;
    for (Sequential* s : {&encX, &decX, &encA, &decA})
        for (Parameter* p : s->parameters())
            all.push_back(p);
    return all;
}

void GaussianPosterior::sample(const RowMatrixXf& h, int latent, Rng& rng)
{
    mu = h.leftCols(latent);
    raw = h.rightCols(latent);
    logVar = raw.cwiseMax(-kLogVarLimit).cwiseMin(kLogVarLimit);
    sigma = (0.5f * logVar.array()).exp().matrix();
    eps.resize(mu.rows(), latent);
    fillNormal(eps, rng);
    z = mu + sigma.cwiseProduct(eps);
}

RowMatrixXf GaussianPosterior::encoderGradient(const RowMatrixXf& gz, const RowMatrixXf& gMu, const RowMatrixXf& gLogVar) const
{
    RowMatrixXf gl = gLogVar + (gz.array() * eps.array() * 0.5f * sigma.array()).matrix();
    gl = (raw.array().abs() < kLogVarLimit).select(gl, 0.f); // zero where the clamp was active
    RowMatrixXf out(mu.rows(), 2 * mu.cols());
    out << gz + gMu, gl;
    return out;
}

double CadaVaeNets::step(const RowMatrixXf& x, const RowMatrixXf& a, const CadaWeights& w, Rng& rng)
{
    const Eigen::Index n = x.rows();
    GaussianPosterior px, pa;
    px.sample(encX.forward(x, true, rng), latent, rng);
    pa.sample(encA.forward(a, true, rng), latent, rng);
    RowMatrixXf Z(2 * n, latent);
    Z << px.z, pa.z;

    // Feature decoder on [z_x; z_a]: reconstruction of x from its own code, cross-reconstruction from a's.
    RowMatrixXf g1, g2, gZx, gZa;
    const RowMatrixXf& xr = decX.forward(Z, true, rng);
    const double reconX = l1Loss(xr.topRows(n), x, &g1), crossX = l1Loss(xr.bottomRows(n), x, &g2);
    RowMatrixXf gx(2 * n, x.cols());
    gx << g1, w.gamma * g2;
    decX.backward(gx, &gZx);
    // Prototype decoder on [z_x; z_a]: cross-reconstruction of a from x's code, reconstruction from its own.
    const RowMatrixXf& ar = decA.forward(Z, true, rng);
    const double crossA = l1Loss(ar.topRows(n), a, &g1), reconA = l1Loss(ar.bottomRows(n), a, &g2);
    RowMatrixXf ga(2 * n, a.cols());
    ga << w.gamma * g1, g2;
    decA.backward(ga, &gZa);

    RowMatrixXf kmx, klx, kma, kla, dmx, dlx, dma, dla;
    const double kl = gaussianKl(px.mu, px.logVar, &kmx, &klx) + gaussianKl(pa.mu, pa.logVar, &kma, &kla);
    const double da = gaussianWasserstein(px.mu, px.logVar, pa.mu, pa.logVar, &dmx, &dlx, &dma, &dla);

    const RowMatrixXf gzx = gZx.topRows(n) + gZa.topRows(n), gza = gZx.bottomRows(n) + gZa.bottomRows(n);
    encX.backward(px.encoderGradient(gzx, w.beta * kmx + w.delta * dmx, w.beta * klx + w.delta * dlx), nullptr);
    encA.backward(pa.encoderGradient(gza, w.beta * kma + w.delta * dma, w.beta * kla + w.delta * dla), nullptr);
    return reconX + reconA + w.beta * kl + w.gamma * (crossX + crossA) + w.delta * da;
}

class CadaVaeModel CV_FINAL : public FeatureGeneratingModel
{
public:
    explicit CadaVaeModel(const ZeroShotClassifier::Params& p) : FeatureGeneratingModel(p, "CADA_VAE") {}

    std::shared_ptr<CompatibilityModel> clone() const CV_OVERRIDE
    {
        return std::make_shared<CadaVaeModel>(*this);
    }

protected:
    void trainGenerator(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                        const ProgressCallback& progress) CV_OVERRIDE
    {
        const int d = (int)X.cols(), a = (int)S.cols(), latent = params_.latentDim;
        const std::vector<int>& h = params_.hiddenSizes;
        CV_Assert(h.size() == 1 || h.size() == 4); // checkParams
        const int hEx = h[0], hDx = h[h.size() == 4 ? 1 : 0], hEa = h[h.size() == 4 ? 2 : 0], hDa = h[h.size() == 4 ? 3 : 0];
        const float slope = (float)params_.leakyReluSlope, drop = (float)params_.dropout;
        Rng rng(params_.seed);
        CadaVaeNets nets;
        nets.latent = latent;
        nets.encX = makeMlp(d, {hEx}, 2 * latent, slope, drop, rng);
        nets.decX = makeMlp(latent, {hDx}, d, slope, drop, rng);
        nets.encA = makeMlp(a, {hEa}, 2 * latent, slope, drop, rng);
        nets.decA = makeMlp(latent, {hDa}, a, slope, drop, rng);
        Adam adam(nets.parameters(), params_.learningRate, params_.weightDecay);

        const EpochOptions options = epochOptionsFrom(params_);
        const long long batchesPerEpoch = ((long long)X.rows() + options.batchSize - 1) / options.batchSize;
        long long batches = 0;
        std::vector<int> classes;
        RowMatrixXf xb, ab;
        EpochFunctions fn;
        fn.step = [&](const int* idx, int n) {
            classes = gatherLabels(y, idx, n);
            gatherRows(X, idx, n, xb);
            gatherRows(S, classes.data(), n, ab);
            const CadaWeights w = cadaWarmup((int)(batches++ / batchesPerEpoch), params_.epochs);
            const double loss = nets.step(xb, ab, w, rng);
            adam.step();
            return loss;
        };
        runEpochs((int)X.rows(), options, rng, fn, progress);
        encX_ = std::make_shared<const Sequential>(std::move(nets.encX));
        encA_ = std::make_shared<const Sequential>(std::move(nets.encA));
    }

    bool generatorTrained() const CV_OVERRIDE { return encX_ && !encX_->empty() && encA_ && !encA_->empty(); }
    int spaceDim() const CV_OVERRIDE { return params_.latentDim; }

    //! Test features -> posterior means (no noise).
    RowMatrixXf toSpace(const RowRefXf& X) const CV_OVERRIDE
    {
        return encX_->infer(X).leftCols(params_.latentDim);
    }

    //! Real seen features -> one latent sample each.
    RowMatrixXf realToSpace(const RowMatrixXf& X, Rng& rng) const CV_OVERRIDE
    {
        return sampleLatent(encX_->infer(X), params_.latentDim, rng);
    }

    RowMatrixXf synthesise(const RowMatrixXf& prototypes, int perClass, Rng& rng) const CV_OVERRIDE
    {
        RowMatrixXf A(prototypes.rows() * perClass, prototypes.cols());
        for (Eigen::Index k = 0; k < prototypes.rows(); k++)
            A.middleRows(k * perClass, perClass) = prototypes.row(k).replicate(perClass, 1);
        return sampleLatent(encA_->infer(A), params_.latentDim, rng);
    }

    ZeroShotClassifier::Params classifierParams() const CV_OVERRIDE
    {
        return softmaxSettings(params_, kClassifierEpochs, kClassifierBatch, kClassifierLearningRate);
    }

    void writeGenerator(FileStorage& fs) const CV_OVERRIDE
    {
        encX_->write(fs, "featureEncoder");
        encA_->write(fs, "prototypeEncoder");
    }

    void readGenerator(const FileNode& node, int d, int a) CV_OVERRIDE
    {
        Sequential ex, ea;
        ex.read(node, "featureEncoder");
        ea.read(node, "prototypeEncoder");
        const int l2 = 2 * params_.latentDim;
        if (ex.inputDim() != d || ex.outputDim() != l2 || ea.inputDim() != a || ea.outputDim() != l2)
            CV_Error(Error::StsParseError, cv::format("zsl model: CADA_VAE encoder shapes (%d -> %d, %d -> %d) do not match "
                                                      "D=%d, A=%d, 2 x latent=%d", ex.inputDim(), ex.outputDim(),
                                                      ea.inputDim(), ea.outputDim(), d, a, l2));
        encX_ = std::make_shared<const Sequential>(std::move(ex));
        encA_ = std::make_shared<const Sequential>(std::move(ea));
    }

private:
    // Shared between clones (class tables): replaced, never modified, once trained.
    std::shared_ptr<const Sequential> encX_, encA_;
};

std::shared_ptr<CompatibilityModel> createCadaVaeModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<CadaVaeModel>(params);
}

}}} // namespace cv::zsl::detail
