// This file is part of the opencv_zsl module (cv::zsl).
// GENERATIVE: a feature-generating conditional VAE (in the spirit of Mishra et al., CVPR-W 2018, and
// the VAE half of f-VAEGAN-D2, Xian et al., CVPR 2019) turns zero-shot learning into ordinary
// supervised learning: it synthesises visual features of unseen classes from their prototypes, then a
// softmax classifier is trained over seen + unseen classes on real seen + synthetic unseen features.
// Because the unseen classes get training data, the classifier is far less biased towards seen
// classes in GZSL than a compatibility function trained on seen classes only.
#include "precomp.hpp"
#include "methods/feature_generator.hpp"
#include "nn/nn_layers.hpp"
#include "nn/nn_losses.hpp"
#include "nn/nn_training.hpp"
#include "nn/optimizer.hpp"
#include <map>

namespace cv {
namespace zsl {
namespace detail {

using namespace nn;

// log-variances are clamped to this range before exp() so that an early large step cannot overflow.
static const float kLogVarLimit = 8.f;
// Salt of the validation synthesis (as the class-table synthesis of feature_generator.cpp).
static const uint64 kPrepareSalt = 0x9E3779B97F4A7C15ull;

/** The conditional VAE: encoder q(z | x, s) = N(mu, diag(exp(logvar))), decoder
    p(x | z, s) = N(g(z, s), diag(exp(noise))) with a learned per-dimension log-variance `noise`.
    Learning the observation variance (instead of a fixed unit variance, i.e. a plain squared error)
    keeps the reconstruction and KL terms on the data's scale: with a fixed variance far above the
    real residuals the encoder is ignored (posterior collapse) and every synthetic feature of a class
    is the same point; sampling x from the likelihood also gives synthetic classes the spread of real ones. */
struct Cvae
{
    Sequential encoder; // [x s] -> [mu logvar]
    Sequential decoder; // [z s] -> mean of x
    Parameter noise;    // 1 x D log-variance of p(x | z, s)
    int latent = 0;

    // Buffers of one step (kept to avoid reallocating in the hot loop).
    RowMatrixXf encIn, decIn, eps, sigma, z, resid, gradRecon, gradDecIn, gradMu, gradLogVar, gradEnc;

    void initNoise(int d)
    {
        noise.name = "noise";
        noise.decay = false;
        noise.value.setZero(1, d);
        noise.grad.setZero(1, d);
    }

    /** One minibatch: negative ELBO forward, backward into every parameter gradient. Returns the mean
        over rows of -log p(x | z, s) (without the constant) + KL(q || N(0, I)). */
    double step(const RowMatrixXf& x, const RowMatrixXf& s, Rng& rng)
    {
        const Eigen::Index n = x.rows(), d = x.cols(), a = s.cols();
        encIn.resize(n, d + a);
        encIn << x, s;
        const RowMatrixXf& h = encoder.forward(encIn, true, rng);
        const RowMatrixXf mu = h.leftCols(latent);
        const RowMatrixXf rawLogVar = h.rightCols(latent);
        const RowMatrixXf logVar = rawLogVar.cwiseMax(-kLogVarLimit).cwiseMin(kLogVarLimit);
        eps.resize(n, latent);
        fillNormal(eps, rng);
        sigma = (0.5f * logVar.array()).exp().matrix();
        z = mu + sigma.cwiseProduct(eps); // reparameterisation trick
        decIn.resize(n, latent + a);
        decIn << z, s;
        const RowMatrixXf& xr = decoder.forward(decIn, true, rng);

        // -log N(x; xr, exp(noise)) = 0.5 sum_j [(x - xr)_j^2 exp(-noise_j) + noise_j] + const.
        const Eigen::RowVectorXf noiseClamped = noise.value.row(0).cwiseMax(-kLogVarLimit).cwiseMin(kLogVarLimit);
        const Eigen::RowVectorXf precision = (-noiseClamped.array()).exp().matrix();
        resid = xr - x;
        const Eigen::RowVectorXf sq = resid.cwiseAbs2().colwise().sum(); // 1 x D, summed over rows
        const double recon = 0.5 * ((double)sq.dot(precision) + (double)n * (double)noiseClamped.sum()) / (double)n;
        gradRecon = (resid.array().rowwise() * precision.array()).matrix() / (float)n;
        noise.grad = (0.5f * (1.f - (sq.array() * precision.array()) / (float)n)).matrix();
        noise.grad = (noise.value.array().abs() < kLogVarLimit).select(noise.grad, 0.f);
        const double kl = gaussianKl(mu, logVar, &gradMu, &gradLogVar);

        decoder.backward(gradRecon, &gradDecIn);
        const auto gz = gradDecIn.leftCols(latent);
        gradMu += gz;
        // dz/dlogvar = eps * 0.5 * sigma; zero where the clamp was active.
        gradLogVar += (gz.array() * eps.array() * 0.5f * sigma.array()).matrix();
        gradLogVar = (rawLogVar.array().abs() < kLogVarLimit).select(gradLogVar, 0.f);
        gradEnc.resize(n, 2 * latent);
        gradEnc << gradMu, gradLogVar;
        encoder.backward(gradEnc, nullptr);
        return recon + kl;
    }
};

/** Samples `perClass` features per prototype row from the generative process z ~ N(0, I),
    x ~ N(g(z, s), diag(exp(noise))); rows grouped by class. */
static RowMatrixXf generate(const Sequential& decoder, const RowMatrixXf& noise, int latent,
                              const RowMatrixXf& prototypes, int perClass, Rng& rng)
{
    RowMatrixXf x = decoder.infer(noiseAndPrototypes(prototypes, perClass, latent, rng));
    RowMatrixXf e(x.rows(), x.cols());
    fillNormal(e, rng);
    const Eigen::RowVectorXf sd = (0.5f * noise.row(0).array().max(-kLogVarLimit).min(kLogVarLimit)).exp().matrix();
    x += (e.array().rowwise() * sd.array()).matrix();
    return x;
}

class GenerativeModel CV_FINAL : public FeatureGeneratingModel
{
public:
    explicit GenerativeModel(const ZeroShotClassifier::Params& p) : FeatureGeneratingModel(p, "GENERATIVE") {}

    std::shared_ptr<CompatibilityModel> clone() const CV_OVERRIDE
    {
        return std::make_shared<GenerativeModel>(*this);
    }

protected:
    void trainGenerator(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                        const ProgressCallback& progress) CV_OVERRIDE
    {
        const int d = (int)X.cols(), a = (int)S.cols(), latent = params_.latentDim;
        Rng rng(params_.seed);
        const ClassSplit split = splitClasses(y, (int)S.rows(), params_.validationFraction, rng);
        const float slope = (float)params_.leakyReluSlope, drop = (float)params_.dropout;
        std::vector<int> reversed(params_.hiddenSizes.rbegin(), params_.hiddenSizes.rend());
        Cvae cvae;
        cvae.latent = latent;
        cvae.encoder = makeMlp(d + a, params_.hiddenSizes, 2 * latent, slope, drop, rng);
        cvae.decoder = makeMlp(latent + a, reversed, d, slope, drop, rng);
        cvae.initNoise(d);
        std::vector<Parameter*> all = cvae.encoder.parameters();
        for (Parameter* p : cvae.decoder.parameters())
            all.push_back(p);
        all.push_back(&cvae.noise);
        Adam adam(all, params_.learningRate, params_.weightDecay);

        std::vector<int> rows, classes;
        RowMatrixXf xb, sb;
        EpochFunctions fn;
        fn.step = [&](const int* idx, int n) {
            rows.resize(n);
            classes.resize(n);
            for (int i = 0; i < n; i++)
            {
                rows[i] = split.trainRows[idx[i]];
                classes[i] = y[rows[i]];
            }
            gatherRows(X, rows.data(), n, xb);
            gatherRows(S, classes.data(), n, sb);
            const double loss = cvae.step(xb, sb, rng);
            adam.step();
            return loss;
        };
        std::vector<RowMatrixXf> best;
        if (split.hasValidation())
        {
            // The model's own scoring on the held-out classes: a softmax over them trained on features
            // synthesised from their prototypes, tested on their real features.
            const RowMatrixXf valX = gatherRows(X, split.valRows);
            const RowMatrixXf valS = gatherRows(S, split.valClasses);
            fn.validate = [&, valX, valS]() {
                const int per = params_.syntheticPerClass, c = (int)valS.rows();
                Rng vr(params_.seed ^ kPrepareSalt);
                RowMatrixXf synth = generate(cvae.decoder, cvae.noise.value, latent, valS, per, vr);
                std::vector<int> labels(synth.rows());
                for (int i = 0; i < (int)synth.rows(); i++)
                    labels[i] = i / per;
                Sequential clf = trainSoftmax(synth, labels, c, params_, vr);
                return perClassTop1(clf.infer(valX), split.valLabels);
            };
            fn.saveBest = [&]() { best = cvae.decoder.snapshot(); best.push_back(cvae.noise.value); };
            fn.restoreBest = [&]() {
                cvae.noise.value = best.back();
                best.pop_back();
                cvae.decoder.restore(best);
            };
        }
        runEpochs((int)split.trainRows.size(), epochOptionsFrom(params_), rng, fn, progress);

        decoder_ = std::make_shared<const Sequential>(std::move(cvae.decoder));
        noise_ = cvae.noise.value;
        featureWidth_ = d;
    }

    bool generatorTrained() const CV_OVERRIDE { return decoder_ && !decoder_->empty(); }
    int spaceDim() const CV_OVERRIDE { return featureWidth_; }
    RowMatrixXf toSpace(const RowRefXf& X) const CV_OVERRIDE { return X; }
    RowMatrixXf classifierLogits(const Sequential& classifier, const RowRefXf& X) const CV_OVERRIDE
    {
        return classifier.infer(X); // the caller's rows, not a copy
    }
    //! Affine logits + log-softmax: a NaN or Inf feature makes its whole row of scores NaN (the max-shifted
    //! exponentials of an infinite or NaN logit are NaN), so the classifier checks the scores, not the input.
    bool linearInFeatures() const CV_OVERRIDE { return true; }

    RowMatrixXf synthesise(const RowMatrixXf& prototypes, int perClass, Rng& rng) const CV_OVERRIDE
    {
        return generate(*decoder_, noise_, params_.latentDim, prototypes, perClass, rng);
    }

    void writeGenerator(FileStorage& fs) const CV_OVERRIDE
    {
        decoder_->write(fs, "decoder");
        writeMatrix(fs, "decoderLogVariance", noise_);
    }

    void readGenerator(const FileNode& node, int d, int a) CV_OVERRIDE
    {
        Sequential decoder;
        decoder.read(node, "decoder");
        if (decoder.inputDim() != params_.latentDim + a || decoder.outputDim() != d)
            CV_Error(Error::StsParseError, "zsl model: GENERATIVE decoder shape does not match its dimensions");
        noise_ = readMatrix(node, "decoderLogVariance", 1, d);
        decoder_ = std::make_shared<const Sequential>(std::move(decoder));
        featureWidth_ = d;
    }

private:
    // Shared between clones (class tables): replaced, never modified, once trained.
    std::shared_ptr<const Sequential> decoder_;
    RowMatrixXf noise_; // 1 x D log-variance of the decoder's Gaussian
    int featureWidth_ = 0;
};

std::shared_ptr<CompatibilityModel> createGenerativeModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<GenerativeModel>(params);
}

}}} // namespace cv::zsl::detail
