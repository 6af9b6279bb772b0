// This file is part of the opencv_zsl module (cv::zsl).
// MLP: a multilayer perceptron regresses visual features onto the semantic space; classes are ranked
// by the cosine between the predicted vector and their prototypes (the "deep embedding" baseline,
// e.g. Zhang, Xiang & Gong, CVPR 2017 use the same direction-free cosine ranking).
#include "precomp.hpp"
#include "methods/compatibility_model.hpp"
#include "nn/nn_layers.hpp"
#include "nn/nn_losses.hpp"
#include "nn/nn_training.hpp"
#include "nn/optimizer.hpp"

namespace cv {
namespace zsl {
namespace detail {

using namespace nn;

class MlpModel CV_FINAL : public CompatibilityModel
{
public:
    // Params are validated once, by the classifier (checkParams), before any model is created.
    explicit MlpModel(const ZeroShotClassifier::Params& p) : params_(p) {}

    int method() const CV_OVERRIDE { return ZeroShotClassifier::MLP; }

    void train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback& progress) CV_OVERRIDE
    {
        CV_Assert(X.rows() == (Eigen::Index)y.size() && X.rows() > 0 && S.rows() > 0);
        Rng rng(params_.seed);
        const ClassSplit split = splitClasses(y, (int)S.rows(), params_.validationFraction, rng);
        Sequential net = makeMlp((int)X.cols(), params_.hiddenSizes, (int)S.cols(), (float)params_.leakyReluSlope,
                                 (float)params_.dropout, rng);
        Adam adam(net.parameters(), params_.learningRate, params_.weightDecay);
        const bool cosine = params_.loss == ZeroShotClassifier::LOSS_COSINE;

        // Batch buffers live across steps so that the hot loop does not allocate.
        std::vector<int> rows, classes;
        RowMatrixXf xb, tb, grad;
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
            gatherRows(S, classes.data(), n, tb);
            const RowMatrixXf& out = net.forward(xb, true, rng);
            const double loss = cosine ? cosineLoss(out, tb, &grad) : mseLoss(out, tb, &grad);
            net.backward(grad);
            adam.step();
            return loss;
        };
        std::vector<RowMatrixXf> best;
        if (split.hasValidation())
        {
            const RowMatrixXf valX = gatherRows(X, split.valRows);
            const RowMatrixXf valS = gatherRows(S, split.valClasses);
            fn.validate = [&, valX, valS]() { return perClassTop1(cosineSimilarity(net.infer(valX), valS), split.valLabels); };
            fn.saveBest = [&]() { best = net.snapshot(); };
            fn.restoreBest = [&]() { net.restore(best); };
        }
        runEpochs((int)split.trainRows.size(), epochOptionsFrom(params_), rng, fn, progress);
        net_ = std::move(net);
    }

    RowMatrixXf scores(const RowRefXf& X, const RowMatrixXf& P) const CV_OVERRIDE
    {
        checkTrained("scores");
        if (P.cols() != prototypeDim())
            CV_Error(Error::StsBadSize, cv::format("zsl MLP scores: prototypes have %d columns, the model predicts %d",
                                                   (int)P.cols(), prototypeDim()));
        return cosineSimilarity(embed(X), P);
    }

    RowMatrixXf embed(const RowRefXf& X) const CV_OVERRIDE
    {
        checkTrained("embed");
        return net_.infer(X);
    }

    int featureDim() const CV_OVERRIDE { return net_.empty() ? 0 : net_.inputDim(); }
    int prototypeDim() const CV_OVERRIDE { return net_.empty() ? 0 : net_.outputDim(); }

    void write(FileStorage& fs) const CV_OVERRIDE
    {
        checkTrained("write");
        fs << "method" << "MLP";
        net_.write(fs, "network");
    }

    void read(const FileNode& node) CV_OVERRIDE
    {
        String m;
        node["method"] >> m;
        if (m != "MLP")
            CV_Error(Error::StsParseError, cv::format("zsl model: model section is '%s', expected MLP", m.c_str()));
        Sequential net;
        net.read(node, "network");
        net_ = std::move(net);
    }

private:
    void checkTrained(const char* what) const
    {
        if (net_.empty())
            CV_Error(Error::StsError, cv::format("zsl MLP %s: the model is not trained", what));
    }

    ZeroShotClassifier::Params params_;
    Sequential net_;
};

std::shared_ptr<CompatibilityModel> createMlpModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<MlpModel>(params);
}

}}} // namespace cv::zsl::detail
