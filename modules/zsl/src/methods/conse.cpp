// This file is part of the opencv_zsl module (cv::zsl).
// ConSE: Norouzi, Mikolov, Bengio, Singer, Shlens, Frome, Corrado & Dean, "Zero-Shot Learning by Convex
// Combination of Semantic Embeddings", ICLR 2014.
#include "precomp.hpp"
#include "opencv2/zsl/conse.hpp"
#include "methods/compatibility_model.hpp"
#include "nn/nn_layers.hpp"
#include "nn/nn_losses.hpp"
#include "nn/nn_training.hpp"
#include "nn/optimizer.hpp"
#include <numeric>

namespace cv {
namespace zsl {
namespace detail {

/** f(p) = sum_{t <= T} p_t s_t / sum_{t <= T} p_t over the T largest entries of each row of P (N x K),
    s_t the rows of S (K x A). Rows are independent, so they run in parallel with identical results. */
static RowMatrixXf conseCombine(const RowMatrixXf& P, const RowMatrixXf& S, int topT)
{
    CV_Assert(P.cols() == S.rows() && topT >= 1);
    const int K = (int)P.cols(), T = std::min(topT, K), N = (int)P.rows();
    RowMatrixXf out(N, S.cols());
    std::vector<int> badRows;
    Mutex badMutex;
    cv::parallel_for_(Range(0, N), [&](const Range& r) {
        std::vector<int> order(K);
        Eigen::RowVectorXd f(S.cols());
        for (int i = r.start; i < r.end; i++)
        {
            const float* p = P.row(i).data();
            if (!P.row(i).allFinite())
            {
                // A NaN or Inf feature gives NaN probabilities: a NaN row of scores, which the classifier traces
                // back to the feature value (and the sort below needs an ordering NaN does not have).
                out.row(i).setConstant(std::numeric_limits<float>::quiet_NaN());
                continue;
            }
            std::iota(order.begin(), order.end(), 0);
            // Ties go to the lower label index, so the result never depends on the sort's internals.
            std::partial_sort(order.begin(), order.begin() + T, order.end(), [p](int a, int b) {
                return p[a] > p[b] || (p[a] == p[b] && a < b);
            });
            double Z = 0;
            f.setZero();
            for (int t = 0; t < T; t++)
            {
                Z += p[order[t]];
                f += (double)p[order[t]] * S.row(order[t]).cast<double>();
            }
            if (!(Z > 0))
            {
                AutoLock lock(badMutex);
                badRows.push_back(i);
                continue;
            }
            out.row(i) = (f / Z).cast<float>();
        }
    });
    if (!badRows.empty())
        CV_Error(Error::StsBadArg, cv::format("zsl ConSE: the top-%d probabilities of row %d sum to zero",
                                              T, *std::min_element(badRows.begin(), badRows.end())));
    return out;
}

static RowMatrixXf softmaxRows(const RowMatrixXf& logits)
{
    // exp(logSoftmax) in place, rows in parallel: at 100,000 x 40 the single-threaded passes cost a third of a
    // product (OpenBLAS threads spinning meanwhile).
    RowMatrixXf p(logits.rows(), logits.cols());
    cv::parallel_for_(Range(0, (int)logits.rows()), [&](const Range& r) {
        p.middleRows(r.start, r.size()) = nn::logSoftmax(logits.middleRows(r.start, r.size())).array().exp().matrix();
    }, std::max(1.0, logits.rows() / 4096.0));
    return p;
}

/** Linear softmax classifier over the seen classes (Adam on the cross-entropy, the training engine),
    followed by the ConSE combination of the seen prototypes and cosine scoring. */
class ConseModel CV_FINAL : public CompatibilityModel
{
public:
    explicit ConseModel(const ZeroShotClassifier::Params& p) : params_(p), topT_(p.conseTopT)
    {
        if (topT_ < 1)
            CV_Error(Error::StsOutOfRange, cv::format("zsl ConSE: conseTopT = %d must be >= 1", topT_));
    }

    int method() const CV_OVERRIDE { return ZeroShotClassifier::CONSE; }

    void train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback& progress) CV_OVERRIDE
    {
        const int C = (int)S.rows();
        nn::Rng rng(params_.seed);
        nn::EpochOptions options = nn::epochOptionsFrom(params_);
        const nn::ClassSplit split = nn::splitClasses(y, C, params_.validationFraction, rng);
        if (split.hasValidation())
        {
            // Choose the epoch count by ConSE's zero-shot accuracy on held-out seen classes, then retrain
            // on all seen classes for that many epochs (as the bilinear ranking models do).
            trainClassifier(nn::gatherRows(X, split.trainRows), split.trainLabels,
                            (int)split.trainClasses.size(), S(split.trainClasses, Eigen::all),
                            nn::gatherRows(X, split.valRows), split.valLabels,
                            S(split.valClasses, Eigen::all), options, rng, progress,
                            &options.epochs);
            CV_LOG_INFO(NULL, cv::format("zsl ConSE: early stopping chose %d epochs", options.epochs));
        }
        net_ = trainClassifier(X, y, C, S, RowMatrixXf(), std::vector<int>(), RowMatrixXf(), options, rng, progress,
                               nullptr);
        S_ = S;
    }

    RowMatrixXf scores(const RowRefXf& X, const RowMatrixXf& P) const CV_OVERRIDE
    {
        return nn::cosineSimilarity(embed(X), P);
    }

    RowMatrixXf embed(const RowRefXf& X) const CV_OVERRIDE
    {
        return conseCombine(softmaxRows(net_.infer(X)), S_, topT_);
    }

    int featureDim() const CV_OVERRIDE { return net_.inputDim(); }
    int prototypeDim() const CV_OVERRIDE { return (int)S_.cols(); }
    //! Affine logits + softmax: a NaN or Inf feature gives a NaN row of probabilities, hence of scores
    //! (conseCombine()), so the classifier checks the scores instead of scanning the input.
    bool linearInFeatures() const CV_OVERRIDE { return true; }

    void write(FileStorage& fs) const CV_OVERRIDE
    {
        fs << "method" << "CONSE";
        fs << "topT" << topT_;
        writeMatrix(fs, "seen_prototypes", S_);
        net_.write(fs, "classifier");
    }

    void read(const FileNode& node) CV_OVERRIDE
    {
        String m;
        node["method"] >> m;
        if (m != "CONSE")
            CV_Error(Error::StsParseError, cv::format("zsl model: model section is '%s', expected CONSE", m.c_str()));
        int topT = 0;
        node["topT"] >> topT;
        if (topT < 1)
            CV_Error(Error::StsParseError, cv::format("zsl model: ConSE topT = %d must be >= 1", topT));
        RowMatrixXf S = readMatrix(node, "seen_prototypes");
        nn::Sequential net;
        net.read(node, "classifier");
        if (net.outputDim() != S.rows())
            CV_Error(Error::StsParseError, cv::format("zsl model: the ConSE classifier has %d outputs but %d seen prototypes",
                                                      net.outputDim(), (int)S.rows()));
        topT_ = topT;
        S_ = S;
        net_ = std::move(net);
    }

private:
    // Trains a linear softmax classifier on (X, y) over C classes. With validation data it validates ConSE
    // (classes Sv) after every epoch, stops early and stores the best epoch in *bestEpoch.
    nn::Sequential trainClassifier(const RowRefXf& X, const std::vector<int>& y, int C, const RowMatrixXf& S,
                                   const RowMatrixXf& Xv, const std::vector<int>& yv, const RowMatrixXf& Sv,
                                   const nn::EpochOptions& options, nn::Rng& rng, const ProgressCallback& progress,
                                   int* bestEpoch) const
    {
        nn::Sequential net;
        net.emplace<nn::Dense>((int)X.cols(), C, rng, nn::INIT_GLOROT, true);
        nn::Adam adam(net.parameters(), params_.learningRate, params_.weightDecay);
        RowMatrixXf Xb, grad;
        nn::EpochFunctions fn;
        fn.step = [&](const int* rows, int n) {
            nn::gatherRows(X, rows, n, Xb);
            const double loss = nn::softmaxCrossEntropy(net.forward(Xb, true, rng), nn::gatherLabels(y, rows, n), &grad);
            net.backward(grad);
            adam.step();
            return loss;
        };
        std::vector<RowMatrixXf> best;
        if (Xv.rows() > 0)
        {
            fn.validate = [&]() {
                const RowMatrixXf f = conseCombine(softmaxRows(net.infer(Xv)), S, topT_);
                return nn::perClassTop1(nn::cosineSimilarity(f, Sv), yv);
            };
            fn.saveBest = [&]() { best = net.snapshot(); };
            fn.restoreBest = [&]() { net.restore(best); };
        }
        const nn::EpochSummary summary = nn::runEpochs((int)X.rows(), options, rng, fn, progress);
        if (bestEpoch)
            *bestEpoch = summary.bestEpoch;
        return net;
    }

    ZeroShotClassifier::Params params_;
    int topT_;
    nn::Sequential net_; // features -> seen-class logits
    RowMatrixXf S_;      // C x A seen prototypes the embedding combines
};

std::shared_ptr<CompatibilityModel> createConseModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<ConseModel>(params);
}

} // namespace detail

void conseEmbedding(InputArray probabilities, InputArray labelPrototypes, OutputArray embedding, int topT)
{
    if (topT < 1)
        CV_Error(Error::StsOutOfRange, cv::format("zsl conseEmbedding: topT = %d must be >= 1", topT));
    const detail::RowMatrixXf P = detail::toEigen(probabilities, "zsl conseEmbedding: probabilities");
    const detail::RowMatrixXf S = detail::toEigen(labelPrototypes, "zsl conseEmbedding: labelPrototypes");
    if (P.cols() != S.rows())
        CV_Error(Error::StsBadSize, cv::format("zsl conseEmbedding: probabilities have %d columns but %d label prototypes "
                                               "were given (one per column expected)", (int)P.cols(), (int)S.rows()));
    if (P.minCoeff() < 0.f)
    {
        Eigen::Index r, c;
        P.minCoeff(&r, &c);
        CV_Error(Error::StsBadArg, cv::format("zsl conseEmbedding: negative probability %g at row %d, column %d",
                                              P(r, c), (int)r, (int)c));
    }
    detail::toMat(detail::conseCombine(P, S, topT)).copyTo(embedding);
}

void conseScores(InputArray embedding, InputArray candidatePrototypes, OutputArray scores)
{
    const detail::RowMatrixXf E = detail::toEigen(embedding, "zsl conseScores: embedding");
    const detail::RowMatrixXf C = detail::toEigen(candidatePrototypes, "zsl conseScores: candidatePrototypes");
    if (E.cols() != C.cols())
        CV_Error(Error::StsBadSize, cv::format("zsl conseScores: embedding has %d columns, candidate prototypes %d",
                                               (int)E.cols(), (int)C.cols()));
    detail::toMat(detail::nn::cosineSimilarity(E, C)).copyTo(scores);
}

}} // namespace cv::zsl
