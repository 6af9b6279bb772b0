// This file is part of the opencv_zsl module (cv::zsl).
// TF_VAEGAN: TF-VAEGAN (Narayan et al., ECCV 2020) on the training engine. f-VAEGAN (a conditional VAE
// whose decoder is the feature generator, a conditional WGAN-GP critic) with a semantic embedding decoder
// Dec(x) -> a trained to reconstruct the class prototype (also from generated features: cycle
// consistency), a feedback module that feeds Dec's hidden activation of a generated feature back into the
// generator's hidden layer, and a final softmax on the discriminative features [x, h(x), Dec(x)] of real
// seen + synthetic other features (the class-table machinery of feature_generator.hpp).
#include "precomp.hpp"
#include "methods/tf_vaegan.hpp"
#include "methods/cada_vae.hpp"  // GaussianPosterior, sampleLatent
#include "methods/f_clswgan.hpp" // makeCritic, wganCriticStep, criticRows
#include "methods/feature_generator.hpp"
#include "nn/nn_gemm.hpp"
#include "nn/nn_losses.hpp"
#include "nn/nn_training.hpp"
#include "nn/optimizer.hpp"

namespace cv {
namespace zsl {
namespace detail {

using namespace nn;

// The authors' settings (Narayan et al. 2020, Sec. 4; their code's CUB configuration, run_cub_tfvaegan.py).
static const float kGpLambda = 10.f;          // gradient-penalty weight (lambda1)
static const int kCriticIterations = 5;       // critic steps per generator step (critic_iter)
static const float kAdversarialWeight = 10.f; // weight of -D(G(z, a)) in the generator's loss (gammaG)
static const float kCycleWeight = 0.01f;      // beta: weight of the decoder's L1 loss (recons_weight; AwA2: 0.1)
static const float kFeedbackWeight = 1.f;     // delta: feedback weight in training (a1) and synthesis (a2) (AwA2: 0.01)
static const double kAdamBeta1 = 0.5;         // Adam(beta1 = 0.5, beta2 = 0.999) of G, D, Dec, F; E keeps beta1 = 0.9
static const float kSlope = 0.2f;             // LeakyReLU of every network
// The softmax classifier on [x, h(x), Dec(x)] (25 epochs, Adam 1e-3, as the authors' classifier).
static const int kClassifierEpochs = 25, kClassifierBatch = 64;
static const double kClassifierLearningRate = 1e-3;

TfVaeganNets TfVaeganNets::create(int featureDim, int prototypeDim, int latentDim, int hidden, float slope,
                                  bool nonNegativeOutput, Rng& rng)
{
    TfVaeganNets n;
    n.latent = latentDim;
    n.encoder = makeMlp(featureDim + prototypeDim, {hidden}, 2 * latentDim, slope, 0.f, rng);
    n.genHidden.emplace<Dense>(latentDim + prototypeDim, hidden, rng, INIT_HE);
    n.genHidden.emplace<LeakyReLU>(slope);
    n.genOutput.emplace<Dense>(hidden, featureDim, rng, INIT_GLOROT);
    if (nonNegativeOutput)
        n.genOutput.emplace<LeakyReLU>(0.f);
    n.critic = makeCritic(featureDim, prototypeDim, hidden, slope, rng);
    n.decHidden.emplace<Dense>(featureDim, hidden, rng, INIT_HE);
    n.decHidden.emplace<LeakyReLU>(slope);
    n.decOutput.emplace<Dense>(hidden, prototypeDim, rng, INIT_GLOROT);
    // The authors' feedback module: two H x H dense layers, each followed by a LeakyReLU.
    n.feedback.emplace<Dense>(hidden, hidden, rng, INIT_HE);
    n.feedback.emplace<LeakyReLU>(slope);
    n.feedback.emplace<Dense>(hidden, hidden, rng, INIT_HE);
    n.feedback.emplace<LeakyReLU>(slope);
    return n;
}

RowMatrixXf TfVaeganNets::generate(const RowMatrixXf& noiseAndPrototypes, float delta) const
{
    RowMatrixXf g = genHidden.infer(noiseAndPrototypes);
    if (delta == 0.f)
        return genOutput.infer(g);
    const RowMatrixXf fb = feedback.infer(decHidden.infer(genOutput.infer(g)));
    g += delta * fb;
    return genOutput.infer(g);
}

RowMatrixXf TfVaeganNets::transformedLogits(const RowRefXf& x, const Dense& classifier) const
{
    // [x, h, a] W + b = x W_x + h W_h + a W_a + b: the caller's rows are read in place instead of being copied
    // into a D + H + A wide matrix (1.2 GB and ~1.3 s at 100,000 x 2,048).
    const RowMatrixXf h = decHidden.infer(x);
    const RowMatrixXf ah = decOutput.infer(h);
    const RowMatrixXf& W = classifier.weight().value;
    const Eigen::Index d = x.cols(), hd = h.cols(), ad = ah.cols();
    CV_Assert(W.rows() == d + hd + ad);
    RowMatrixXf logits, part;
    matmul(x, W.topRows(d), logits);
    matmul(h, W.middleRows(d, hd), part);
    logits += part;
    matmul(ah, W.bottomRows(ad), part);
    logits += part;
    if (classifier.hasBias())
        logits.rowwise() += classifier.bias().value.row(0);
    return logits;
}

RowMatrixXf TfVaeganNets::transform(const RowRefXf& x) const
{
    const RowMatrixXf h = decHidden.infer(x);
    const RowMatrixXf ah = decOutput.infer(h);
    RowMatrixXf out(x.rows(), x.cols() + h.cols() + ah.cols());
    out.leftCols(x.cols()) = x;
    out.middleCols(x.cols(), h.cols()) = h;
    out.rightCols(ah.cols()) = ah;
    return out;
}

double TfVaeganNets::generatorStep(const RowMatrixXf& x, const RowMatrixXf& a, const TfVaeganWeights& w, Rng& rng,
                                   RowMatrixXf* heldFeedbackInput)
{
    CV_Assert(x.rows() == a.rows() && x.rows() > 0);
    const Eigen::Index n = x.rows(), d = x.cols(), na = a.cols();
    RowMatrixXf xa(n, d + na);
    xa << x, a;
    GaussianPosterior post;
    post.sample(encoder.forward(xa, true, rng), latent, rng);
    RowMatrixXf gin(n, latent + na);
    gin << post.z, a;

    // Feedback: F of the decoder's hidden activation of a first, constant generator pass.
    const bool withFeedback = w.feedback != 0.f;
    RowMatrixXf fb;
    if (withFeedback)
    {
        RowMatrixXf h;
        if (heldFeedbackInput && heldFeedbackInput->size() > 0)
            h = *heldFeedbackInput;
        else
        {
            h = decHidden.infer(genOutput.infer(genHidden.infer(gin)));
            if (heldFeedbackInput)
                *heldFeedbackInput = h;
        }
        fb = feedback.forward(h, true, rng);
    }
    RowMatrixXf g = genHidden.forward(gin, true, rng);
    if (withFeedback)
        g += w.feedback * fb;
    const RowMatrixXf fake = genOutput.forward(g, true, rng);

    // VAE: per-sample L1 reconstruction + KL.
    RowMatrixXf gFake, gMu, gLogVar;
    const double recon = l1Loss(fake, x, &gFake);
    const double kl = gaussianKl(post.mu, post.logVar, &gMu, &gLogVar);
    // Critic: -mean D([G a]).
    RowMatrixXf din(n, d + na), gIn;
    din << fake, a;
    const double adversarial = -(double)critic.forward(din, true, rng).sum() / (double)n;
    critic.backward(RowMatrixXf::Constant(n, 1, -1.f / (float)n), &gIn);
    gFake += w.adversarial * gIn.leftCols(d);
    // Cycle consistency: L1(Dec(G), a).
    RowMatrixXf gA, gH, gX;
    const double cycle = l1Loss(decOutput.forward(decHidden.forward(fake, true, rng), true, rng), a, &gA);
    gA *= w.cycle;
    decOutput.backward(gA, &gH);
    decHidden.backward(gH, &gX);
    gFake += gX;

    RowMatrixXf gG, gIn2;
    genOutput.backward(gFake, &gG);
    genHidden.backward(gG, &gIn2);
    if (withFeedback)
        feedback.backward(w.feedback * gG, nullptr);
    encoder.backward(post.encoderGradient(gIn2.leftCols(latent), gMu, gLogVar), nullptr);
    return recon + kl + w.adversarial * adversarial + w.cycle * cycle;
}

double TfVaeganNets::decoderStep(const RowMatrixXf& x, const RowMatrixXf& a, float weight, Rng& rng)
{
    RowMatrixXf g, gH;
    const double loss = l1Loss(decOutput.forward(decHidden.forward(x, true, rng), true, rng), a, &g);
    g *= weight;
    decOutput.backward(g, &gH);
    decHidden.backward(gH, nullptr);
    return weight * loss;
}

std::vector<Parameter*> TfVaeganNets::generatorParameters()
{
    std::vector<Parameter*> all = genHidden.parameters();
    for (Parameter* p : genOutput.parameters())
        all.push_back(p);
    return all;
}

std::vector<Parameter*> TfVaeganNets::decoderParameters()
{
    std::vector<Parameter*> all = decHidden.parameters();
    for (Parameter* p : decOutput.parameters())
        all.push_back(p);
    return all;
}

class TfVaeganModel CV_FINAL : public FeatureGeneratingModel
{
public:
    explicit TfVaeganModel(const ZeroShotClassifier::Params& p) : FeatureGeneratingModel(p, "TF_VAEGAN") {}

    std::shared_ptr<CompatibilityModel> clone() const CV_OVERRIDE
    {
        return std::make_shared<TfVaeganModel>(*this);
    }

protected:
    void trainGenerator(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                        const ProgressCallback& progress) CV_OVERRIDE
    {
        const int d = (int)X.cols(), a = (int)S.cols(), nz = params_.latentDim, hidden = params_.hiddenSizes[0];
        const int N = (int)X.rows();
        if (N > INT_MAX / 2)
            CV_Error(Error::StsOutOfRange, cv::format("zsl TF_VAEGAN: %d training rows, at most %d", N, INT_MAX / 2));
        Rng rng(params_.seed);
        // Non-negative features (ReLU backbones) get a ReLU output (the paper's sigmoid needs [0, 1] features).
        const bool nonNegative = X.minCoeff() >= 0.f;
        TfVaeganNets nets = TfVaeganNets::create(d, a, nz, hidden, kSlope, nonNegative, rng);
        const double lr = params_.learningRate, wd = params_.weightDecay;
        Adam adamE(nets.encoder.parameters(), lr, wd);
        Adam adamG(nets.generatorParameters(), lr, wd, kAdamBeta1);
        Adam adamD(nets.critic.parameters(), lr, wd, kAdamBeta1);
        Adam adamDec(nets.decoderParameters(), lr, wd, kAdamBeta1);
        Adam adamF(nets.feedback.parameters(), lr, wd, kAdamBeta1);

        // Every epoch is a pass over the data without feedback, then one with it (the authors'
        // feedback_loop = 2): runEpochs() walks 2N rows, row r is sample r mod N, and the later half of
        // each epoch's minibatches trains with the feedback (every other epoch when one minibatch holds all).
        const EpochOptions options = epochOptionsFrom(params_);
        const long long batchesPerEpoch = (2LL * N + options.batchSize - 1) / options.batchSize;
        long long batches = 0;
        std::vector<int> rows, classes, randomRows;
        RowMatrixXf xb, ab, xa, gin, fake;
        auto drawBatch = [&](const int* idx, int n) {
            rows.resize(n);
            for (int i = 0; i < n; i++)
                rows[i] = idx[i] % N;
            classes = gatherLabels(y, rows.data(), n);
            gatherRows(X, rows.data(), n, xb);
            gatherRows(S, classes.data(), n, ab);
        };
        TfVaeganWeights w;
        w.adversarial = kAdversarialWeight;
        w.cycle = kCycleWeight;
        EpochFunctions fn;
        fn.step = [&](const int* idx, int n) {
            const long long inEpoch = batches % batchesPerEpoch, epoch = batches / batchesPerEpoch;
            batches++;
            const bool withFeedback = batchesPerEpoch > 1 ? 2 * inEpoch >= batchesPerEpoch : epoch % 2 == 1;
            w.feedback = withFeedback ? kFeedbackWeight : 0.f;
            for (int k = 0; k < kCriticIterations; k++)
            {
                drawBatch(k == 0 ? idx : criticRows(n, N, rng, randomRows), n);
                // The decoder learns from the real features; the critic compares them with features
                // generated from their encoded latents (the authors' encoded_noise).
                nets.decoderStep(xb, ab, kCycleWeight, rng);
                adamDec.step();
                xa.resize(n, d + a);
                xa << xb, ab;
                gin.resize(n, nz + a);
                gin << sampleLatent(nets.encoder.infer(xa), nz, rng), ab;
                fake = nets.generate(gin, w.feedback);
                wganCriticStep(nets.critic, xb, fake, ab, kGpLambda, rng);
                adamD.step();
            }
            drawBatch(idx, n);
            const double loss = nets.generatorStep(xb, ab, w, rng);
            adamE.step();
            adamG.step();
            if (w.feedback != 0.f)
                adamF.step();
            adamDec.step(); // the cycle term also trains the decoder on generated features (no freeze_dec)
            return loss;
        };
        runEpochs(2 * N, options, rng, fn, progress);
        // Synthesis and the discriminative features need neither the encoder nor the critic.
        nets.encoder = Sequential();
        nets.critic = Sequential();
        nets_ = std::make_shared<const TfVaeganNets>(std::move(nets));
    }

    bool generatorTrained() const CV_OVERRIDE { return nets_ && !nets_->genHidden.empty(); }

    //! [x, h(x), Dec(x)]: D + H + A.
    int spaceDim() const CV_OVERRIDE
    {
        CV_Assert(generatorTrained());
        return nets_->decHidden.inputDim() + nets_->decHidden.outputDim() + nets_->decOutput.outputDim();
    }

    RowMatrixXf toSpace(const RowRefXf& X) const CV_OVERRIDE { return nets_->transform(X); }

    RowMatrixXf classifierLogits(const Sequential& classifier, const RowRefXf& X) const CV_OVERRIDE
    {
        if (classifier.size() == 1 && classifier.layer(0).type() == "dense")
            return nets_->transformedLogits(X, static_cast<const Dense&>(classifier.layer(0)));
        return classifier.infer(toSpace(X));
    }

    RowMatrixXf synthesise(const RowMatrixXf& prototypes, int perClass, Rng& rng) const CV_OVERRIDE
    {
        return nets_->transform(nets_->generate(noiseAndPrototypes(prototypes, perClass, params_.latentDim, rng),
                                                kFeedbackWeight));
    }

    ZeroShotClassifier::Params classifierParams() const CV_OVERRIDE
    {
        return softmaxSettings(params_, kClassifierEpochs, kClassifierBatch, kClassifierLearningRate);
    }

    void writeGenerator(FileStorage& fs) const CV_OVERRIDE
    {
        nets_->genHidden.write(fs, "generatorHidden");
        nets_->genOutput.write(fs, "generatorOutput");
        nets_->feedback.write(fs, "feedback");
        nets_->decHidden.write(fs, "decoderHidden");
        nets_->decOutput.write(fs, "decoderOutput");
    }

    void readGenerator(const FileNode& node, int d, int a) CV_OVERRIDE
    {
        TfVaeganNets n;
        n.latent = params_.latentDim;
        n.genHidden.read(node, "generatorHidden");
        n.genOutput.read(node, "generatorOutput");
        n.feedback.read(node, "feedback");
        n.decHidden.read(node, "decoderHidden");
        n.decOutput.read(node, "decoderOutput");
        const int h = params_.hiddenSizes.empty() ? -1 : params_.hiddenSizes[0];
        const int gi = n.genHidden.inputDim(), gh = n.genHidden.outputDim(), oi = n.genOutput.inputDim(),
                  oo = n.genOutput.outputDim(), fi = n.feedback.inputDim(), fo = n.feedback.outputDim(),
                  di = n.decHidden.inputDim(), dh = n.decHidden.outputDim(), ai = n.decOutput.inputDim(),
                  ao = n.decOutput.outputDim();
        if (gi != params_.latentDim + a || gh != h || oi != h || oo != d || fi != h || fo != h || di != d || dh != h ||
            ai != h || ao != a)
            CV_Error(Error::StsParseError,
                     cv::format("zsl model: TF_VAEGAN network shapes (generator %d -> %d -> %d, input %d; feedback %d -> %d; "
                                "decoder %d -> %d -> %d, input %d) do not match latent + A = %d, hidden = %d, D = %d, A = %d",
                                gi, gh, oo, oi, fi, fo, di, dh, ao, ai, params_.latentDim + a, h, d, a));
        nets_ = std::make_shared<const TfVaeganNets>(std::move(n));
    }

private:
    // Generator, feedback module and decoder; shared between clones (class tables): replaced, never modified, once trained.
    std::shared_ptr<const TfVaeganNets> nets_;
};

std::shared_ptr<CompatibilityModel> createTfVaeganModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<TfVaeganModel>(params);
}

}}} // namespace cv::zsl::detail
