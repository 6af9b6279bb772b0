// This file is part of the opencv_zsl module (cv::zsl).
// The class-table machinery shared by the feature-generating methods (see feature_generator.hpp).
#include "precomp.hpp"
#include "methods/feature_generator.hpp"
#include "nn/nn_losses.hpp"
#include "nn/nn_training.hpp"
#include "nn/optimizer.hpp"
#include "opencv2/zsl/input_limits.hpp"

namespace cv {
namespace zsl {
namespace detail {

using namespace nn;

// Salt of the generator used by prepareClasses(): independent of how many epochs train() ran, so the
// classifier depends only on (trained model, class table, seed).
static const uint64 kPrepareSalt = 0x9E3779B97F4A7C15ull;

/** Exact byte key of a prototype row (class-table lookups compare prototypes bit for bit). */
static std::string rowKey(const RowMatrixXf& m, Eigen::Index r)
{
    const float* p = m.data() + r * m.cols();
    return std::string(reinterpret_cast<const char*>(p), sizeof(float) * (size_t)m.cols());
}

Sequential trainSoftmax(const RowMatrixXf& X, const std::vector<int>& y, int numClasses,
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

RowMatrixXf noiseAndPrototypes(const RowMatrixXf& prototypes, int perClass, int noiseDim, Rng& rng)
{
    const Eigen::Index c = prototypes.rows(), a = prototypes.cols();
    RowMatrixXf in(c * perClass, noiseDim + a), z(c * perClass, noiseDim);
    fillNormal(z, rng);
    in.leftCols(noiseDim) = z;
    for (Eigen::Index k = 0; k < c; k++)
        in.block(k * perClass, noiseDim, perClass, a) = prototypes.row(k).replicate(perClass, 1);
    return in;
}

ZeroShotClassifier::Params softmaxSettings(const ZeroShotClassifier::Params& base, int epochs, int batchSize, double learningRate)
{
    ZeroShotClassifier::Params p = base;
    p.learningRate = learningRate;
    p.weightDecay = 0;
    p.epochs = epochs;
    p.batchSize = batchSize;
    return p;
}

void FeatureGeneratingModel::train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                                   const ProgressCallback& progress)
{
    CV_Assert(X.rows() == (Eigen::Index)y.size() && X.rows() > 0 && S.rows() > 0);
    trainX_ = X; // kept for the classifier trained in prepareClasses(); the generator trains on this copy
    trainGenerator(trainX_, y, S, progress);
    featureDim_ = (int)X.cols();
    prototypeDim_ = (int)S.cols();
    trainY_ = y;
    trainS_ = S;
    table_.resize(0, 0);
    classifier_.reset();
    tableIndex_.clear();
}

void FeatureGeneratingModel::prepareClasses(const RowMatrixXf& allPrototypes, int numSeen)
{
    checkTrained("prepareClasses");
    CV_Assert(numSeen >= 0 && numSeen <= allPrototypes.rows());
    if (allPrototypes.rows() == 0)
        return;
    if (allPrototypes.cols() != prototypeDim_)
        CV_Error(Error::StsBadSize, cv::format("zsl %s: prototypes have %d columns, the model uses %d", tag_,
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
        CV_LOG_WARNING(NULL, cv::format("zsl %s: the class table changed after load(); the real seen features are not "
                                        "stored in model files, so every class is synthesised for the new classifier", tag_));

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
    RowMatrixXf synth = synthesise(gatherRows(allPrototypes, synthRows), per, rng);
    RowMatrixXf data(realRows.size() + synth.rows(), spaceDim());
    if (!realRows.empty())
        data.topRows(realRows.size()) = realToSpace(gatherRows(trainX_, realRows), rng);
    data.bottomRows(synth.rows()) = synth;
    for (Eigen::Index i = 0; i < synth.rows(); i++)
        labels.push_back(synthRows[i / per]);

    classifier_ = std::make_shared<const Sequential>(trainSoftmax(data, labels, (int)allPrototypes.rows(), classifierParams(), rng));
    setTable(allPrototypes);
}

RowMatrixXf FeatureGeneratingModel::scores(const RowRefXf& X, const RowMatrixXf& P) const
{
    checkPrepared("scores");
    if (P.cols() != prototypeDim_)
        CV_Error(Error::StsBadSize, cv::format("zsl %s scores: prototypes have %d columns, the model uses %d", tag_,
                                               (int)P.cols(), prototypeDim_));
    std::vector<int> columns(P.rows());
    for (Eigen::Index c = 0; c < P.rows(); c++)
    {
        auto it = tableIndex_.find(rowKey(P, c));
        if (it == tableIndex_.end())
            CV_Error(Error::StsBadArg, cv::format("zsl %s scores: prototype row %d is not one of the %d classes the "
                                                  "softmax classifier was prepared with (register classes through the "
                                                  "classifier so that prepareClasses() runs)", tag_, (int)c, (int)table_.rows()));
        columns[c] = it->second;
    }
    const RowMatrixXf logProb = logProbabilities(X);
    RowMatrixXf out(X.rows(), P.rows());
    for (Eigen::Index c = 0; c < P.rows(); c++)
        out.col(c) = logProb.col(columns[c]);
    return out;
}

RowMatrixXf FeatureGeneratingModel::embed(const RowRefXf& X) const
{
    checkPrepared("embed");
    const RowMatrixXf prob = logProbabilities(X).array().exp().matrix();
    return prob * table_;
}

RowMatrixXf FeatureGeneratingModel::logProbabilities(const RowRefXf& X) const
{
    return logSoftmax(classifierLogits(*classifier_, X));
}

void FeatureGeneratingModel::write(FileStorage& fs) const
{
    checkTrained("write");
    fs << "method" << tag_;
    fs << "featureDim" << featureDim_ << "prototypeDim" << prototypeDim_ << "latentDim" << params_.latentDim;
    writeGenerator(fs);
    if (classifier_)
    {
        writeMatrix(fs, "classTable", table_);
        classifier_->write(fs, "classifier");
    }
}

void FeatureGeneratingModel::read(const FileNode& node)
{
    String m;
    node["method"] >> m;
    if (m != tag_)
        CV_Error(Error::StsParseError, cv::format("zsl model: model section is '%s', expected %s", m.c_str(), tag_));
    int d = -1, a = -1, latent = -1;
    node["featureDim"] >> d;
    node["prototypeDim"] >> a;
    node["latentDim"] >> latent;
    if (d < 1 || a < 1 || d > bounds::kMaxDims || a > bounds::kMaxDims || latent != params_.latentDim)
        CV_Error(Error::StsParseError, cv::format("zsl model: %s dimensions D=%d, A=%d, latent=%d are invalid "
                                                  "(params.latentDim=%d)", tag_, d, a, latent, params_.latentDim));
    readGenerator(node, d, a);
    Sequential classifier;
    RowMatrixXf table;
    if (!node["classifier"].empty())
    {
        classifier.read(node, "classifier");
        table = readMatrix(node, "classTable", -1, a);
        if (classifier.inputDim() != spaceDim() || classifier.outputDim() != table.rows())
            CV_Error(Error::StsParseError, cv::format("zsl model: %s classifier shape does not match the class table", tag_));
    }
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

void FeatureGeneratingModel::setTable(const RowMatrixXf& table)
{
    table_ = table;
    tableIndex_.clear();
    // Duplicate prototypes map to their first row.
    for (Eigen::Index c = 0; c < table_.rows(); c++)
        tableIndex_.emplace(rowKey(table_, c), (int)c);
}

void FeatureGeneratingModel::checkTrained(const char* what) const
{
    if (!generatorTrained())
        CV_Error(Error::StsError, cv::format("zsl %s %s: the model is not trained", tag_, what));
}

void FeatureGeneratingModel::checkPrepared(const char* what) const
{
    checkTrained(what);
    if (!classifier_ || classifier_->empty())
        CV_Error(Error::StsError, cv::format("zsl %s %s: no class table prepared (prepareClasses() not called)", tag_, what));
}

}}} // namespace cv::zsl::detail
