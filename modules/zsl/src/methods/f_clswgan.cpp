// This file is part of the opencv_zsl module (cv::zsl).
// F_CLSWGAN: f-CLSWGAN (Xian et al., CVPR 2018): a conditional Wasserstein GAN with gradient penalty
// generates visual features from prototypes, with a classification loss from a softmax pre-trained on
// the real seen features; then a softmax over all classes on real seen + synthetic other features
// (the class-table machinery of feature_generator.hpp).
#include "precomp.hpp"
#include "methods/f_clswgan.hpp"
#include "methods/feature_generator.hpp"
#include "nn/nn_losses.hpp"
#include "nn/nn_training.hpp"
#include "nn/optimizer.hpp"

namespace cv {
namespace zsl {
namespace detail {

using namespace nn;

// The paper's settings (Xian et al. 2018, Sec. 4 and the authors' code).
static const float kGpLambda = 10.f;       // gradient-penalty weight
static const int kCriticIterations = 5;    // critic steps per generator step
static const float kClsWeight = 0.01f;     // weight of the classification loss in the generator's loss
static const double kAdamBeta1 = 0.5;      // Adam(beta1 = 0.5, beta2 = 0.999)
static const float kSlope = 0.2f;          // LeakyReLU of generator and critic
// The softmax pre-trained on real seen features (classification loss) and the final classifier.
static const int kClassifierEpochs = 25, kClassifierBatch = 64;
static const double kClassifierLearningRate = 1e-3;

Sequential makeCritic(int featureDim, int prototypeDim, int hidden, float slope, Rng& rng)
{
    Sequential c;
    c.emplace<Dense>(featureDim + prototypeDim, hidden, rng, INIT_HE);
    c.emplace<LeakyReLU>(slope);
    c.emplace<Dense>(hidden, 1, rng, INIT_GLOROT);
    return c;
}

double gradientPenalty(Sequential& critic, int featureDim, const RowMatrixXf& inputs, float lambda, bool accumulate,
                       RowMatrixXf* inputGradient)
{
    CV_Assert(critic.size() == 3 && critic.layer(0).type() == "dense" && critic.layer(1).type() == "leaky_relu");
    Dense& l1 = static_cast<Dense&>(critic.layer(0));
    Dense& l2 = static_cast<Dense&>(critic.layer(2));
    const float slope = static_cast<const LeakyReLU&>(critic.layer(1)).slope();
    const Eigen::Index n = inputs.rows();
    const RowMatrixXf pre = l1.infer(inputs);                                  // n x H
    const RowMatrixXf s = (pre.array() > 0.f).select(RowMatrixXf::Ones(pre.rows(), pre.cols()), slope); // phi'
    const auto w2 = l2.weight().value.col(0).transpose();                      // 1 x H
    const RowMatrixXf V = (s.array().rowwise() * w2.array()).matrix();          // n x H: w2 * phi'(pre_i)
    const auto W1x = l1.weight().value.topRows(featureDim);                    // D x H
    const RowMatrixXf G = V * W1x.transpose();                                 // n x D: d D / d x
    const Eigen::ArrayXf norm = G.rowwise().norm().array();
    const double penalty = (norm - 1.f).square().cast<double>().sum() / (double)n;
    if (inputGradient)
        *inputGradient = G;
    if (accumulate)
    {
        // dP/dG_i = 2 (|G_i| - 1) G_i / |G_i| / n; G = V W1x^T, V = phi' * w2.
        const Eigen::ArrayXf coef = (norm > 0.f).select(2.f * (norm - 1.f) / (norm * (float)n), 0.f);
        const RowMatrixXf R = (G.array().colwise() * coef).matrix();           // n x D
        l1.weight().grad.topRows(featureDim) += lambda * (R.transpose() * V);
        const RowMatrixXf RW = R * W1x;                                        // n x H
        l2.weight().grad.col(0) += lambda * (RW.array() * s.array()).colwise().sum().matrix().transpose();
    }
    return penalty;
}

double wganCriticStep(Sequential& critic, const RowMatrixXf& real, const RowMatrixXf& fake, const RowMatrixXf& prototypes,
                      float lambda, Rng& rng)
{
    CV_Assert(real.rows() == fake.rows() && real.cols() == fake.cols() && prototypes.rows() == real.rows());
    const Eigen::Index n = real.rows(), d = real.cols(), a = prototypes.cols();
    RowMatrixXf din(2 * n, d + a);
    din << real, prototypes, fake, prototypes;
    const RowMatrixXf& out = critic.forward(din, true, rng);
    double loss = (double)out.bottomRows(n).sum() / n - (double)out.topRows(n).sum() / n;
    RowMatrixXf dgrad(2 * n, 1);
    dgrad.topRows(n).setConstant(-1.f / (float)n);
    dgrad.bottomRows(n).setConstant(1.f / (float)n);
    critic.backward(dgrad, nullptr);
    RowMatrixXf alpha(n, 1);
    for (Eigen::Index i = 0; i < n; i++)
        alpha(i, 0) = uniform01(rng);
    RowMatrixXf interp(n, d + a);
    interp.leftCols(d) = (real.array().colwise() * alpha.col(0).array() +
                          fake.array().colwise() * (1.f - alpha.col(0).array())).matrix();
    interp.rightCols(a) = prototypes;
    loss += lambda * gradientPenalty(critic, (int)d, interp, lambda, true);
    return loss;
}

const int* criticRows(int n, int N, Rng& rng, std::vector<int>& rows)
{
    rows.resize((size_t)n);
    for (int i = 0; i < n; i++)
        rows[(size_t)i] = (int)(rng() % (uint64)N);
    return rows.data();
}

class FClswganModel CV_FINAL : public FeatureGeneratingModel
{
public:
    explicit FClswganModel(const ZeroShotClassifier::Params& p) : FeatureGeneratingModel(p, "F_CLSWGAN") {}

    std::shared_ptr<CompatibilityModel> clone() const CV_OVERRIDE
    {
        return std::make_shared<FClswganModel>(*this);
    }

protected:
    void trainGenerator(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                        const ProgressCallback& progress) CV_OVERRIDE
    {
        const int d = (int)X.cols(), a = (int)S.cols(), nz = params_.latentDim, hidden = params_.hiddenSizes[0];
        Rng rng(params_.seed);
        // Non-negative features (ReLU backbones) get a ReLU output as in the paper; others a linear one.
        const bool nonNegative = X.minCoeff() >= 0.f;
        Sequential gen = makeMlp(nz + a, {hidden}, d, kSlope, 0.f, rng);
        if (nonNegative)
            gen.emplace<LeakyReLU>(0.f);
        Sequential critic = makeCritic(d, a, hidden, kSlope, rng);
        Sequential cls = trainSoftmax(X, y, (int)S.rows(), classifierParams(), rng); // fixed: classification loss
        Adam adamG(gen.parameters(), params_.learningRate, params_.weightDecay, kAdamBeta1);
        Adam adamD(critic.parameters(), params_.learningRate, params_.weightDecay, kAdamBeta1);

        const int N = (int)X.rows();
        std::vector<int> rows, classes, randomRows;
        RowMatrixXf xb, ab, zb, gin, fake, din, dgrad, gIn, gradFake, clsGrad, gradX;
        auto drawBatch = [&](const int* idx, int n) {
            rows.assign(idx, idx + n);
            classes = gatherLabels(y, rows.data(), n);
            gatherRows(X, rows.data(), n, xb);
            gatherRows(S, classes.data(), n, ab);
        };
        auto generate = [&](int n, bool training) -> const RowMatrixXf& {
            zb.resize(n, nz);
            fillNormal(zb, rng);
            gin.resize(n, nz + a);
            gin << zb, ab;
            return gen.forward(gin, training, rng);
        };
        EpochFunctions fn;
        fn.step = [&](const int* idx, int n) {
            double criticLoss = 0;
            for (int k = 0; k < kCriticIterations; k++)
            {
                drawBatch(k == 0 ? idx : criticRows(n, N, rng, randomRows), n);
                fake = generate(n, false);
                criticLoss = wganCriticStep(critic, xb, fake, ab, kGpLambda, rng);
                adamD.step();
            }
            // Generator: -mean D(G(z, a)) + beta CE(cls(G(z, a)), y).
            drawBatch(idx, n);
            fake = generate(n, true);
            din.resize(n, d + a);
            din << fake, ab;
            const RowMatrixXf& out = critic.forward(din, true, rng);
            const double gLoss = -(double)out.sum() / n;
            dgrad.setConstant(n, 1, -1.f / (float)n);
            critic.backward(dgrad, &gIn);
            const double ce = softmaxCrossEntropy(cls.forward(fake, false, rng), classes, &clsGrad);
            cls.backward(clsGrad, &gradX);
            gradFake = gIn.leftCols(d) + kClsWeight * gradX;
            gen.backward(gradFake, nullptr);
            adamG.step();
            (void)criticLoss;
            return gLoss + kClsWeight * ce;
        };
        runEpochs(N, epochOptionsFrom(params_), rng, fn, progress);
        gen_ = std::make_shared<const Sequential>(std::move(gen));
        featureWidth_ = d;
    }

    bool generatorTrained() const CV_OVERRIDE { return gen_ && !gen_->empty(); }
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
        return gen_->infer(noiseAndPrototypes(prototypes, perClass, params_.latentDim, rng));
    }

    ZeroShotClassifier::Params classifierParams() const CV_OVERRIDE
    {
        return softmaxSettings(params_, kClassifierEpochs, kClassifierBatch, kClassifierLearningRate);
    }

    void writeGenerator(FileStorage& fs) const CV_OVERRIDE { gen_->write(fs, "generator"); }

    void readGenerator(const FileNode& node, int d, int a) CV_OVERRIDE
    {
        Sequential g;
        g.read(node, "generator");
        if (g.inputDim() != params_.latentDim + a || g.outputDim() != d)
            CV_Error(Error::StsParseError, cv::format("zsl model: F_CLSWGAN generator shape (%d -> %d) does not match "
                                                      "latent + A = %d, D = %d", g.inputDim(), g.outputDim(),
                                                      params_.latentDim + a, d));
        gen_ = std::make_shared<const Sequential>(std::move(g));
        featureWidth_ = d;
    }

private:
    std::shared_ptr<const Sequential> gen_; // shared between clones (class tables)
    int featureWidth_ = 0;
};

std::shared_ptr<CompatibilityModel> createFClswganModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<FClswganModel>(params);
}

}}} // namespace cv::zsl::detail
