// This file is part of the opencv_zsl module (cv::zsl).
// GENERATIVE: a feature-generating conditional VAE (in the spirit of Mishra et al., CVPR-W 2018, and
// the VAE half of f-VAEGAN-D2, Xian et al., CVPR 2019) turns zero-shot learning into ordinary
// supervised learning: it synthesises visual features of unseen classes from their prototypes, then a
// softmax classifier is trained over seen + unseen classes on real seen + synthetic unseen features.
// Because the unseen classes get training data, the classifier is far less biased towards seen
// classes in GZSL than a compatibility function trained on seen classes only.
#include "precomp.hpp"
#include "methods/compatibility_model.hpp"
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
// Salt of the generator used by prepareClasses(): independent of how many epochs train() ran, so the
// classifier depends only on (trained model, class table, seed).
static const uint64 kPrepareSalt = 0x9E3779B97F4A7C15ull;

/** Exact byte key of a prototype row (class-table lookups compare prototypes bit for bit). */
static std::string rowKey(const RowMatrixXf& m, Eigen::Index r)
{
    const float* p = m.data() + r * m.cols();
    return std::string(reinterpret_cast<const char*>(p), sizeof(float) * (size_t)m.cols());
}

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
static RowMatrixXf synthesise(const Sequential& decoder, const RowMatrixXf& noise, int latent,
                              const RowMatrixXf& prototypes, int perClass, Rng& rng)
{
    const Eigen::Index c = prototypes.rows(), a = prototypes.cols();
    RowMatrixXf in(c * perClass, latent + a);
    RowMatrixXf z(c * perClass, latent);
    fillNormal(z, rng);
    in.leftCols(latent) = z;
    for (Eigen::Index k = 0; k < c; k++)
        in.block(k * perClass, latent, perClass, a) = prototypes.row(k).replicate(perClass, 1);
    RowMatrixXf x = decoder.infer(in);
    RowMatrixXf e(x.rows(), x.cols());
    fillNormal(e, rng);
    const Eigen::RowVectorXf sd = (0.5f * noise.row(0).array().max(-kLogVarLimit).min(kLogVarLimit)).exp().matrix();
    x += (e.array().rowwise() * sd.array()).matrix();
    return x;
}

/** Softmax classifier (one dense layer) trained with cross-entropy and Adam on (X, y) over C classes. */
static Sequential trainSoftmax(const RowMatrixXf& X, const std::vector<int>& y, int numClasses,
                               const ZeroShotClassifier::Params& p, Rng& rng)
{
    Sequential net;
    net.emplace<Dense>((int)X.cols(), numClasses, rng, INIT_ZERO);
    Adam adam(net.parameters(), p.learningRate, p.weightDecay);
    RowMatrixXf xb, grad;
    EpochFunctions fn;
    fn.step = [&](const int* idx, int n) {
        gatherRows(X, idx, n, xb);
        const double loss = softmaxCrossEntropy(net.forward(xb, true, rng), gatherLabels(y, idx, n), &grad);
        net.backward(grad);
        adam.step();
        return loss;
    };
    runEpochs((int)X.rows(), epochOptionsFrom(p), rng, fn, TrainingCallback());
    return net;
}

class GenerativeModel CV_FINAL : public CompatibilityModel
{
public:
    // Params are validated once, by the classifier (checkParams), before any model is created.
    explicit GenerativeModel(const ZeroShotClassifier::Params& p) : params_(p) {}

    int method() const CV_OVERRIDE { return ZeroShotClassifier::GENERATIVE; }

    void train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback& progress) CV_OVERRIDE
    {
        CV_Assert(X.rows() == (Eigen::Index)y.size() && X.rows() > 0 && S.rows() > 0);
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
                RowMatrixXf synth = synthesise(cvae.decoder, cvae.noise.value, latent, valS, per, vr);
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
        featureDim_ = d;
        prototypeDim_ = a;
        // Real seen features for prepareClasses(); kept in memory, never serialised.
        trainX_ = X;
        trainY_ = y;
        trainS_ = S;
        table_.resize(0, 0);
        classifier_.reset();
        tableIndex_.clear();
    }

    std::shared_ptr<CompatibilityModel> clone() const CV_OVERRIDE
    {
        return std::make_shared<GenerativeModel>(*this);
    }

    void prepareClasses(const RowMatrixXf& allPrototypes, int numSeen) CV_OVERRIDE
    {
        checkTrained("prepareClasses");
        CV_Assert(numSeen >= 0 && numSeen <= allPrototypes.rows());
        if (allPrototypes.rows() == 0)
            return;
        if (allPrototypes.cols() != prototypeDim_)
            CV_Error(Error::StsBadSize, cv::format("zsl GENERATIVE: prototypes have %d columns, the model uses %d",
                                                   (int)allPrototypes.cols(), prototypeDim_));
        // Same table as the classifier was prepared with (e.g. right after load()): nothing to do.
        if (classifier_ && table_.rows() == allPrototypes.rows() && table_ == allPrototypes)
            return;

        // Classes with real training features (matched by prototype) use them; all others are synthesised.
        std::map<std::string, int> trainedClass;
        for (Eigen::Index c = 0; c < trainS_.rows(); c++)
            trainedClass.emplace(rowKey(trainS_, c), (int)c);
        std::vector<int> realOf(allPrototypes.rows(), -1), synthRows;
        for (Eigen::Index c = 0; c < allPrototypes.rows(); c++)
        {
            auto it = trainedClass.find(rowKey(allPrototypes, c));
            if (it != trainedClass.end())
                realOf[c] = it->second;
            else
                synthRows.push_back((int)c);
        }
        if (trainX_.rows() == 0)
            CV_LOG_WARNING(NULL, "zsl GENERATIVE: the class table changed after load(); the real seen features are not "
                                 "stored in model files, so every class is synthesised for the new classifier");

        const int per = params_.syntheticPerClass;
        std::vector<int> tableOf(trainS_.rows(), -1); // training class -> first table row with its prototype
        for (Eigen::Index c = allPrototypes.rows(); c-- > 0;)
            if (realOf[c] >= 0)
                tableOf[realOf[c]] = (int)c;
        std::vector<int> realRows, labels;
        for (size_t i = 0; i < trainY_.size(); i++)
            if (tableOf[trainY_[i]] >= 0)
            {
                realRows.push_back((int)i);
                labels.push_back(tableOf[trainY_[i]]);
            }
        Rng rng(params_.seed ^ kPrepareSalt);
        RowMatrixXf synth = synthesise(*decoder_, noise_, params_.latentDim, gatherRows(allPrototypes, synthRows), per, rng);
        RowMatrixXf data(realRows.size() + synth.rows(), featureDim_);
        if (!realRows.empty())
            data.topRows(realRows.size()) = gatherRows(trainX_, realRows);
        data.bottomRows(synth.rows()) = synth;
        for (Eigen::Index i = 0; i < synth.rows(); i++)
            labels.push_back(synthRows[i / per]);

        classifier_ = std::make_shared<const Sequential>(trainSoftmax(data, labels, (int)allPrototypes.rows(), params_, rng));
        setTable(allPrototypes);
    }

    RowMatrixXf scores(const RowRefXf& X, const RowMatrixXf& P) const CV_OVERRIDE
    {
        checkPrepared("scores");
        if (P.cols() != prototypeDim_)
            CV_Error(Error::StsBadSize, cv::format("zsl GENERATIVE scores: prototypes have %d columns, the model uses %d",
                                                   (int)P.cols(), prototypeDim_));
        std::vector<int> columns(P.rows());
        for (Eigen::Index c = 0; c < P.rows(); c++)
        {
            auto it = tableIndex_.find(rowKey(P, c));
            if (it == tableIndex_.end())
                CV_Error(Error::StsBadArg, cv::format("zsl GENERATIVE scores: prototype row %d is not one of the %d classes the "
                                                      "softmax classifier was prepared with (register classes through the "
                                                      "classifier so that prepareClasses() runs)", (int)c, (int)table_.rows()));
            columns[c] = it->second;
        }
        const RowMatrixXf logProb = logSoftmax(classifier_->infer(X));
        RowMatrixXf out(X.rows(), P.rows());
        for (Eigen::Index c = 0; c < P.rows(); c++)
            out.col(c) = logProb.col(columns[c]);
        return out;
    }

    /** The expected prototype under the classifier's posterior: sum_c p(c | x) s_c. */
    RowMatrixXf embed(const RowRefXf& X) const CV_OVERRIDE
    {
        checkPrepared("embed");
        const RowMatrixXf prob = logSoftmax(classifier_->infer(X)).array().exp().matrix();
        return prob * table_;
    }

    int featureDim() const CV_OVERRIDE { return featureDim_; }
    int prototypeDim() const CV_OVERRIDE { return prototypeDim_; }

    void write(FileStorage& fs) const CV_OVERRIDE
    {
        checkTrained("write");
        fs << "method" << "GENERATIVE";
        fs << "featureDim" << featureDim_ << "prototypeDim" << prototypeDim_ << "latentDim" << params_.latentDim;
        decoder_->write(fs, "decoder");
        writeMatrix(fs, "decoderLogVariance", noise_);
        if (classifier_)
        {
            writeMatrix(fs, "classTable", table_);
            classifier_->write(fs, "classifier");
        }
    }

    void read(const FileNode& node) CV_OVERRIDE
    {
        String m;
        node["method"] >> m;
        if (m != "GENERATIVE")
            CV_Error(Error::StsParseError, cv::format("zsl model: model section is '%s', expected GENERATIVE", m.c_str()));
        int d = -1, a = -1, latent = -1;
        node["featureDim"] >> d;
        node["prototypeDim"] >> a;
        node["latentDim"] >> latent;
        if (d < 1 || a < 1 || latent != params_.latentDim)
            CV_Error(Error::StsParseError, cv::format("zsl model: GENERATIVE dimensions D=%d, A=%d, latent=%d are invalid "
                                                      "(params.latentDim=%d)", d, a, latent, params_.latentDim));
        Sequential decoder;
        decoder.read(node, "decoder");
        if (decoder.inputDim() != latent + a || decoder.outputDim() != d)
            CV_Error(Error::StsParseError, "zsl model: GENERATIVE decoder shape does not match its dimensions");
        RowMatrixXf noise = readMatrix(node, "decoderLogVariance", 1, d);
        Sequential classifier;
        RowMatrixXf table;
        if (!node["classifier"].empty())
        {
            classifier.read(node, "classifier");
            table = readMatrix(node, "classTable", -1, a);
            if (classifier.inputDim() != d || classifier.outputDim() != table.rows())
                CV_Error(Error::StsParseError, "zsl model: GENERATIVE classifier shape does not match the class table");
        }
        decoder_ = std::make_shared<const Sequential>(std::move(decoder));
        noise_ = noise;
        if (classifier.empty())
            classifier_.reset();
        else
            classifier_ = std::make_shared<const Sequential>(std::move(classifier));
        featureDim_ = d;
        prototypeDim_ = a;
        trainX_.resize(0, 0);
        trainY_.clear();
        trainS_.resize(0, a);
        setTable(table);
    }

private:
    void setTable(const RowMatrixXf& table)
    {
        table_ = table;
        tableIndex_.clear();
        // Duplicate prototypes map to their first row.
        for (Eigen::Index c = 0; c < table_.rows(); c++)
            tableIndex_.emplace(rowKey(table_, c), (int)c);
    }

    void checkTrained(const char* what) const
    {
        if (!decoder_ || decoder_->empty())
            CV_Error(Error::StsError, cv::format("zsl GENERATIVE %s: the model is not trained", what));
    }

    void checkPrepared(const char* what) const
    {
        checkTrained(what);
        if (!classifier_ || classifier_->empty())
            CV_Error(Error::StsError, cv::format("zsl GENERATIVE %s: no class table prepared (prepareClasses() not called)", what));
    }

    ZeroShotClassifier::Params params_;
    // Shared between clones (class tables): replaced, never modified, once trained.
    std::shared_ptr<const Sequential> decoder_, classifier_;
    RowMatrixXf noise_; // 1 x D log-variance of the decoder's Gaussian
    RowMatrixXf table_;
    std::map<std::string, int> tableIndex_;
    int featureDim_ = 0, prototypeDim_ = 0;
    RowMatrixXf trainX_, trainS_;
    std::vector<int> trainY_;
};

std::shared_ptr<CompatibilityModel> createGenerativeModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<GenerativeModel>(params);
}

}}} // namespace cv::zsl::detail
