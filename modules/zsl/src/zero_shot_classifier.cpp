// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include <numeric>
#include "methods/compatibility_model.hpp"
#include "opencv2/zsl/atomic_file.hpp"
#include "io/storage.hpp"

namespace cv {
namespace zsl {

using namespace detail;

static const int kFormatVersion = 1;
static const char* kRootNode = "opencv_zsl_classifier";

ZeroShotClassifier::Params::Params()
    : method(ZeroShotClassifier::ESZSL), prototypeNormalization(PROTOTYPE_NORM_NONE), normalizeFeatures(false),
      eszslGamma(1.0), eszslLambda(1.0), saeLambda(0.2), saeDirection(SAE_SEMANTIC_SPACE),
      epochs(50), batchSize(64), learningRate(1e-3), weightDecay(0.0), margin(0.0), hiddenSizes{1024},
      dropout(0.0), leakyReluSlope(0.0), loss(LOSS_COSINE), validationFraction(0.0), patience(5),
      conseTopT(10), latentDim(64), syntheticPerClass(200), seed(0x5EED)
{
}

static const char* const kMethodNames[] = {"ESZSL", "SAE", "DEVISE", "ALE", "SJE", "MLP", "CONSE", "GENERATIVE"};
static const int kNumMethods = (int)(sizeof(kMethodNames) / sizeof(kMethodNames[0]));

String methodName(int method)
{
    if (method < 0 || method >= kNumMethods)
        CV_Error(Error::StsOutOfRange, cv::format("zsl: unknown method %d", method));
    return kMethodNames[method];
}

int methodFromName(const String& name)
{
    String upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return (char)std::toupper(c); });
    for (int i = 0; i < kNumMethods; i++)
        if (upper == kMethodNames[i])
            return i;
    CV_Error(Error::StsBadArg, cv::format("zsl: unknown method name '%s' (expected ESZSL, SAE, DEVISE, ALE, SJE, MLP, CONSE or GENERATIVE)",
                                          name.c_str()));
}

static void writeParams(FileStorage& fs, const ZeroShotClassifier::Params& p)
{
    fs << "params" << "{";
    fs << "method" << methodName(p.method);
    fs << "prototypeNormalization" << p.prototypeNormalization;
    fs << "normalizeFeatures" << (int)p.normalizeFeatures;
    fs << "eszslGamma" << p.eszslGamma << "eszslLambda" << p.eszslLambda;
    fs << "saeLambda" << p.saeLambda << "saeDirection" << p.saeDirection;
    fs << "epochs" << p.epochs << "batchSize" << p.batchSize << "learningRate" << p.learningRate;
    fs << "weightDecay" << p.weightDecay << "margin" << p.margin << "hiddenSizes" << p.hiddenSizes;
    fs << "dropout" << p.dropout << "leakyReluSlope" << p.leakyReluSlope << "loss" << p.loss;
    fs << "validationFraction" << p.validationFraction << "patience" << p.patience;
    fs << "conseTopT" << p.conseTopT << "latentDim" << p.latentDim << "syntheticPerClass" << p.syntheticPerClass;
    // FileStorage has no 64-bit integers: the seed travels as text.
    fs << "seed" << std::to_string(p.seed);
    fs << "}";
}

template <typename T>
static void readField(const FileNode& node, const char* name, T& value)
{
    FileNode n = node[name];
    if (n.empty())
        CV_Error(Error::StsParseError, cv::format("zsl model: params.%s is missing", name));
    n >> value;
}

static ZeroShotClassifier::Params readParams(const FileNode& node)
{
    if (!node.isMap())
        CV_Error(Error::StsParseError, "zsl model: 'params' is missing or not a map");
    ZeroShotClassifier::Params p;
    String method;
    readField(node, "method", method);
    p.method = methodFromName(method);
    int flag = 0;
    readField(node, "prototypeNormalization", p.prototypeNormalization);
    readField(node, "normalizeFeatures", flag);
    p.normalizeFeatures = flag != 0;
    readField(node, "eszslGamma", p.eszslGamma);
    readField(node, "eszslLambda", p.eszslLambda);
    readField(node, "saeLambda", p.saeLambda);
    readField(node, "saeDirection", p.saeDirection);
    readField(node, "epochs", p.epochs);
    readField(node, "batchSize", p.batchSize);
    readField(node, "learningRate", p.learningRate);
    readField(node, "weightDecay", p.weightDecay);
    readField(node, "margin", p.margin);
    readField(node, "hiddenSizes", p.hiddenSizes);
    readField(node, "dropout", p.dropout);
    readField(node, "leakyReluSlope", p.leakyReluSlope);
    readField(node, "loss", p.loss);
    readField(node, "validationFraction", p.validationFraction);
    readField(node, "patience", p.patience);
    readField(node, "conseTopT", p.conseTopT);
    readField(node, "latentDim", p.latentDim);
    readField(node, "syntheticPerClass", p.syntheticPerClass);
    String seed;
    readField(node, "seed", seed);
    try { p.seed = std::stoull(seed); }
    catch (const std::exception&) { CV_Error(Error::StsParseError, "zsl model: params.seed is not an integer"); }
    return p;
}

static void checkParams(const ZeroShotClassifier::Params& p)
{
    methodName(p.method); // range check
    if (p.prototypeNormalization < PROTOTYPE_NORM_NONE || p.prototypeNormalization > PROTOTYPE_NORM_ZSCORE)
        CV_Error(Error::StsOutOfRange, cv::format("zsl: unknown prototypeNormalization %d", p.prototypeNormalization));
    if (!(p.eszslGamma >= 0) || !(p.eszslLambda >= 0) || !(p.saeLambda > 0))
        CV_Error(Error::StsOutOfRange, "zsl: eszslGamma and eszslLambda must be >= 0, saeLambda > 0");
    if (p.saeDirection != ZeroShotClassifier::SAE_SEMANTIC_SPACE && p.saeDirection != ZeroShotClassifier::SAE_VISUAL_SPACE)
        CV_Error(Error::StsOutOfRange, cv::format("zsl: unknown saeDirection %d", p.saeDirection));
    if (p.epochs < 1 || p.batchSize < 1 || !(p.learningRate > 0) || p.conseTopT < 1 || p.latentDim < 1 ||
        p.syntheticPerClass < 1 || p.patience < 1)
        CV_Error(Error::StsOutOfRange, "zsl: epochs, batchSize, learningRate, conseTopT, latentDim, syntheticPerClass and patience must be positive");
    if (!(p.dropout >= 0 && p.dropout < 1) || !(p.validationFraction >= 0 && p.validationFraction < 1))
        CV_Error(Error::StsOutOfRange, "zsl: dropout and validationFraction must be in [0, 1)");
    if (!(p.leakyReluSlope >= 0 && p.leakyReluSlope < 1))
        CV_Error(Error::StsOutOfRange, cv::format("zsl: leakyReluSlope %g must be in [0, 1)", p.leakyReluSlope));
    if (!(p.weightDecay >= 0))
        CV_Error(Error::StsOutOfRange, cv::format("zsl: weightDecay %g must be >= 0", p.weightDecay));
    if (p.loss != ZeroShotClassifier::LOSS_MSE && p.loss != ZeroShotClassifier::LOSS_COSINE)
        CV_Error(Error::StsOutOfRange, cv::format("zsl: unknown loss %d (LOSS_MSE=0, LOSS_COSINE=1)", p.loss));
    for (int h : p.hiddenSizes)
        if (h < 1 || h > 65536) // the bound keeps a hostile model file from requesting huge layers
            CV_Error(Error::StsOutOfRange, cv::format("zsl: hidden layer width %d must be in [1, 65536]", h));
}

class ZeroShotClassifierImpl CV_FINAL : public ZeroShotClassifier
{
public:
    explicit ZeroShotClassifierImpl(const Params& params, const Ptr<VisualEncoder>& encoder = Ptr<VisualEncoder>())
        : params_(params), encoder_(encoder)
    {
        checkParams(params_);
        model_ = createCompatibilityModel(params_);
    }

    void setProgressCallback(const TrainingCallback& cb) CV_OVERRIDE { progress_ = cb; }

    void train(InputArray features, InputArray labels, const ClassPrototypes& seen) CV_OVERRIDE
    {
        seen.validate();
        if (seen.size() < 2)
            CV_Error(Error::StsBadArg, cv::format("zsl train: need at least 2 seen classes, got %d", seen.size()));
        RowMatrixXf X = prepareFeatures(features, "zsl train: features");
        std::vector<int> y = toLabels(labels, seen.size(), "zsl train: labels");
        if ((int)y.size() != X.rows())
            CV_Error(Error::StsBadSize, cv::format("zsl train: %d feature rows but %d labels", (int)X.rows(), (int)y.size()));
        ClassPrototypes seenNorm = seen.normalized(params_.prototypeNormalization);
        // Unseen classes registered earlier must keep the prototype dimension.
        if (!unseen_.names.empty() && unseen_.dims() != seen.dims())
            CV_Error(Error::StsBadSize, cv::format("zsl train: seen prototypes have %d dimensions but the registered unseen classes have %d",
                                                   seen.dims(), unseen_.dims()));
        for (const String& n : seen.names)
            if (unseen_.indexOf(n) >= 0)
                CV_Error(Error::StsBadArg, cv::format("zsl train: seen class '%s' is already registered as unseen", n.c_str()));

        std::shared_ptr<CompatibilityModel> model = createCompatibilityModel(params_);
        model->train(X, y, toEigenPrototypes(seenNorm), progress_);
        model_ = model;
        seen_ = seen;
        seenNormalized_ = seenNorm;
        trained_ = true;
        rebuildClassTable();
    }

    void trainImages(InputArrayOfArrays images, InputArray labels, const ClassPrototypes& seen) CV_OVERRIDE
    {
        Mat features;
        extractFeatures(images, features);
        train(features, labels, seen);
    }

    void setUnseenClasses(const ClassPrototypes& unseen) CV_OVERRIDE
    {
        if (!unseen.names.empty())
        {
            unseen.validate();
            checkPrototypeDim(unseen.dims(), "zsl setUnseenClasses");
            for (const String& n : unseen.names)
                if (seen_.indexOf(n) >= 0)
                    CV_Error(Error::StsBadArg, cv::format("zsl setUnseenClasses: '%s' is already a seen class", n.c_str()));
        }
        unseen_ = unseen;
        rebuildClassTable();
    }

    int addClass(const String& name, InputArray prototype, bool seen) CV_OVERRIDE
    {
        if (name.empty())
            CV_Error(Error::StsBadArg, "zsl addClass: empty class name");
        if (seen_.indexOf(name) >= 0 || unseen_.indexOf(name) >= 0)
            CV_Error(Error::StsBadArg, cv::format("zsl addClass: class '%s' already exists", name.c_str()));
        Mat v = prototype.getMat();
        if (v.empty() || v.channels() != 1 || (v.rows != 1 && v.cols != 1))
            CV_Error(Error::StsBadArg, cv::format("zsl addClass('%s'): the prototype must be a non-empty 1 x A vector", name.c_str()));
        v = v.reshape(1, 1);
        checkPrototypeDim(v.cols, "zsl addClass");
        ClassPrototypes& target = seen ? seen_ : unseen_;
        ClassPrototypes updated = target;
        updated.names.push_back(name);
        Mat row;
        v.convertTo(row, CV_32F);
        if (updated.vectors.empty())
            updated.vectors = row;
        else
            cv::vconcat(updated.vectors, row, updated.vectors);
        updated.validate();
        target = updated;
        if (seen)
            seenNormalized_ = seen_.normalized(params_.prototypeNormalization);
        rebuildClassTable();
        return seen ? seen_.size() - 1 : seen_.size() + unseen_.size() - 1;
    }

    ClassPrototypes getClasses() const CV_OVERRIDE
    {
        ClassPrototypes all;
        all.names = seen_.names;
        all.names.insert(all.names.end(), unseen_.names.begin(), unseen_.names.end());
        if (!seen_.vectors.empty() && !unseen_.vectors.empty())
            cv::vconcat(seen_.vectors, unseen_.vectors, all.vectors);
        else
            all.vectors = seen_.vectors.empty() ? unseen_.vectors.clone() : seen_.vectors.clone();
        return all;
    }

    int getNumSeenClasses() const CV_OVERRIDE { return seen_.size(); }

    void setMode(int mode) CV_OVERRIDE
    {
        if (mode != MODE_ZSL && mode != MODE_GZSL)
            CV_Error(Error::StsOutOfRange, cv::format("zsl setMode: unknown mode %d (MODE_ZSL=0, MODE_GZSL=1)", mode));
        mode_ = mode;
    }
    int getMode() const CV_OVERRIDE { return mode_; }

    void setCalibration(double gamma) CV_OVERRIDE
    {
        if (!std::isfinite(gamma))
            CV_Error(Error::StsBadArg, "zsl setCalibration: the calibration constant must be finite");
        calibration_ = gamma;
    }
    double getCalibration() const CV_OVERRIDE { return calibration_; }

    void computeScores(InputArray features, OutputArray scores) const CV_OVERRIDE
    {
        checkTrained("computeScores");
        if (classTable_.rows() == 0)
            CV_Error(Error::StsError, "zsl computeScores: no classes registered");
        RowMatrixXf X = prepareFeatures(features, "zsl computeScores: features");
        toMat(model_->scores(X, classTable_)).copyTo(scores);
    }

    void predict(InputArray features, OutputArray labels, OutputArray scores, int topK) const CV_OVERRIDE
    {
        checkTrained("predict");
        const int numSeen = seen_.size(), numAll = numSeen + unseen_.size();
        const int first = mode_ == MODE_ZSL ? numSeen : 0;
        const int numCandidates = numAll - first;
        if (numCandidates == 0)
            CV_Error(Error::StsError, mode_ == MODE_ZSL
                     ? "zsl predict: ZSL mode but no unseen classes registered (setUnseenClasses / addClass)"
                     : "zsl predict: no classes registered");
        if (topK < 1 || topK > numCandidates)
            CV_Error(Error::StsOutOfRange, cv::format("zsl predict: topK=%d must be in [1, %d] (number of candidate classes)",
                                                      topK, numCandidates));
        RowMatrixXf X = prepareFeatures(features, "zsl predict: features");
        // Score every class, then keep the candidates: the same numbers as computeScores(), bit for bit.
        RowMatrixXf S = model_->scores(X, classTable_).rightCols(numCandidates);
        if (mode_ == MODE_GZSL && numSeen > 0)
            S.leftCols(numSeen).array() -= (float)calibration_;

        const int n = (int)S.rows();
        Mat outLabels(n, topK, CV_32S), outScores(n, topK, CV_32F);
        cv::parallel_for_(Range(0, n), [&](const Range& r) {
            std::vector<int> order(numCandidates);
            for (int i = r.start; i < r.end; i++)
            {
                std::iota(order.begin(), order.end(), 0);
                const float* row = S.row(i).data();
                // Ties go to the lower class index so results never depend on the sort's internals.
                std::partial_sort(order.begin(), order.begin() + topK, order.end(), [row](int a, int b) {
                    return row[a] > row[b] || (row[a] == row[b] && a < b);
                });
                for (int k = 0; k < topK; k++)
                {
                    outLabels.at<int>(i, k) = order[k] + first;
                    outScores.at<float>(i, k) = row[order[k]];
                }
            }
        });
        outLabels.copyTo(labels);
        outScores.copyTo(scores);
    }

    void predictImages(InputArrayOfArrays images, OutputArray labels, OutputArray scores, int topK) const CV_OVERRIDE
    {
        Mat features;
        extractFeatures(images, features);
        predict(features, labels, scores, topK);
    }

    void predictAttributes(InputArray features, OutputArray attributes) const CV_OVERRIDE
    {
        checkTrained("predictAttributes");
        RowMatrixXf X = prepareFeatures(features, "zsl predictAttributes: features");
        toMat(model_->embed(X)).copyTo(attributes);
    }

    void extractFeatures(InputArrayOfArrays images, OutputArray features) const CV_OVERRIDE
    {
        if (!encoder_)
            CV_Error(Error::StsError, "zsl: this classifier has no visual encoder (create it with one, or pass features)");
        encoder_->encode(images, features);
    }

    bool isTrained() const CV_OVERRIDE { return trained_; }
    Params getParams() const CV_OVERRIDE { return params_; }
    Ptr<VisualEncoder> getEncoder() const CV_OVERRIDE { return encoder_; }
    void setEncoder(const Ptr<VisualEncoder>& encoder) CV_OVERRIDE
    {
        if (encoder && trained_ && encoder->getFeatureDim() != model_->featureDim())
            CV_Error(Error::StsBadSize, cv::format("zsl setEncoder: encoder gives %d-d features but the model was trained on %d-d",
                                                   encoder->getFeatureDim(), model_->featureDim()));
        encoder_ = encoder;
    }

    String getDefaultName() const CV_OVERRIDE { return kRootNode; }

    void write(FileStorage& fs) const CV_OVERRIDE
    {
        checkTrained("write");
        fs << "format_version" << kFormatVersion;
        fs << "kind" << "ZeroShotClassifier";
        writeParams(fs, params_);
        fs << "mode" << mode_ << "calibration" << calibration_;
        fs << "seen_names" << seen_.names << "seen_vectors" << seen_.vectors;
        fs << "unseen_names" << unseen_.names;
        if (!unseen_.names.empty())
            fs << "unseen_vectors" << unseen_.vectors;
        fs << "model" << "{";
        model_->write(fs);
        fs << "}";
        if (encoder_)
        {
            EncoderPreprocessing pp = encoder_->getPreprocessing();
            fs << "encoder" << "{";
            fs << "model" << encoder_->getModelPath() << "config" << encoder_->getConfigPath();
            fs << "layer" << encoder_->getFeatureLayer() << "batchSize" << encoder_->getBatchSize();
            fs << "normalize" << (int)encoder_->getNormalize();
            fs << "inputSize" << pp.inputSize << "resizeShorter" << pp.resizeShorter << "swapRB" << (int)pp.swapRB;
            fs << "scale" << pp.scale << "mean" << pp.mean << "std" << pp.std;
            fs << "}";
        }
    }

    void read(const FileNode& node) CV_OVERRIDE
    {
        if (!node.isMap())
            CV_Error(Error::StsParseError, "zsl model: the root node is not a map");
        int version = -1;
        String kind;
        node["format_version"] >> version;
        node["kind"] >> kind;
        if (kind != "ZeroShotClassifier")
            CV_Error(Error::StsParseError, cv::format("zsl model: kind is '%s', expected 'ZeroShotClassifier'", kind.c_str()));
        if (version != kFormatVersion)
            CV_Error(Error::StsParseError, cv::format("zsl model: format_version %d is not supported (this build reads %d)",
                                                      version, kFormatVersion));
        Params params = readParams(node["params"]);
        checkParams(params);
        int mode = MODE_ZSL;
        double calibration = 0;
        node["mode"] >> mode;
        node["calibration"] >> calibration;
        ClassPrototypes seen, unseen;
        node["seen_names"] >> seen.names;
        seen.vectors = readMatNode(node["seen_vectors"], "zsl model: seen_vectors");
        node["unseen_names"] >> unseen.names;
        if (!unseen.names.empty())
            unseen.vectors = readMatNode(node["unseen_vectors"], "zsl model: unseen_vectors");
        seen.validate();
        if (!unseen.names.empty())
            unseen.validate();
        std::shared_ptr<CompatibilityModel> model = createCompatibilityModel(params);
        model->read(node["model"]);
        if (model->prototypeDim() != seen.dims() || (!unseen.names.empty() && unseen.dims() != seen.dims()))
            CV_Error(Error::StsParseError, "zsl model: prototype dimension does not match the stored model");

        Ptr<VisualEncoder> encoder;
        FileNode enc = node["encoder"];
        if (!enc.empty())
            encoder = readEncoder(enc);

        params_ = params;
        model_ = model;
        seen_ = seen;
        seenNormalized_ = seen.normalized(params.prototypeNormalization);
        unseen_ = unseen;
        encoder_ = encoder;
        trained_ = true;
        setMode(mode);
        setCalibration(calibration);
        rebuildClassTable();
    }

private:
    static Ptr<VisualEncoder> readEncoder(const FileNode& enc)
    {
        String modelPath, configPath, layer;
        int batch = 1, normalize = 0, swapRB = 1;
        EncoderPreprocessing pp;
        enc["model"] >> modelPath;
        enc["config"] >> configPath;
        enc["layer"] >> layer;
        enc["batchSize"] >> batch;
        enc["normalize"] >> normalize;
        enc["inputSize"] >> pp.inputSize;
        enc["resizeShorter"] >> pp.resizeShorter;
        enc["swapRB"] >> swapRB;
        pp.swapRB = swapRB != 0;
        enc["scale"] >> pp.scale;
        enc["mean"] >> pp.mean;
        enc["std"] >> pp.std;
        Ptr<VisualEncoder> encoder = VisualEncoder::create(modelPath, configPath, pp, layer);
        encoder->setBatchSize(batch);
        encoder->setNormalize(normalize != 0);
        return encoder;
    }

    void checkTrained(const char* what) const
    {
        if (!trained_)
            CV_Error(Error::StsError, cv::format("zsl %s: the classifier is not trained", what));
    }

    void checkPrototypeDim(int dims, const char* what) const
    {
        const int expected = trained_ ? model_->prototypeDim() : (seen_.size() ? seen_.dims() : unseen_.dims());
        if (expected > 0 && dims != expected)
            CV_Error(Error::StsBadSize, cv::format("%s: prototype has %d dimensions, the classifier uses %d", what, dims, expected));
    }

    RowMatrixXf prepareFeatures(InputArray features, const char* what) const
    {
        RowMatrixXf X = toEigen(features, what);
        if (trained_ && X.cols() != model_->featureDim())
            CV_Error(Error::StsBadSize, cv::format("%s: %d columns, the model was trained on %d-d features",
                                                   what, (int)X.cols(), model_->featureDim()));
        if (params_.normalizeFeatures)
            normalizeRows(X);
        return X;
    }

    static RowMatrixXf toEigenPrototypes(const ClassPrototypes& p)
    {
        return viewEigen(p.vectors);
    }

    // Normalised prototypes of every class (seen rows first), the matrix scored against.
    void rebuildClassTable()
    {
        ClassPrototypes unseenNorm = unseen_.names.empty() ? ClassPrototypes()
                                                           : unseen_.normalized(params_.prototypeNormalization);
        const int a = seen_.size() ? seen_.dims() : unseen_.dims();
        classTable_.resize(seen_.size() + unseen_.size(), a);
        if (seen_.size())
            classTable_.topRows(seen_.size()) = toEigenPrototypes(seenNormalized_);
        if (unseen_.size())
            classTable_.bottomRows(unseen_.size()) = toEigenPrototypes(unseenNorm);
        if (trained_)
            model_->prepareClasses(classTable_, seen_.size());
    }

    Params params_;
    Ptr<VisualEncoder> encoder_;
    std::shared_ptr<CompatibilityModel> model_;
    ProgressCallback progress_;
    ClassPrototypes seen_, seenNormalized_, unseen_;
    RowMatrixXf classTable_;
    int mode_ = MODE_ZSL;
    double calibration_ = 0;
    bool trained_ = false;
};

Ptr<ZeroShotClassifier> ZeroShotClassifier::create(const Params& params)
{
    return makePtr<ZeroShotClassifierImpl>(params);
}

Ptr<ZeroShotClassifier> ZeroShotClassifier::create(const Params& params, const Ptr<VisualEncoder>& encoder)
{
    if (!encoder)
        CV_Error(Error::StsNullPtr, "zsl create: the visual encoder is null");
    return makePtr<ZeroShotClassifierImpl>(params, encoder);
}

Ptr<ZeroShotClassifier> ZeroShotClassifier::load(const String& filename)
{
    Ptr<ZeroShotClassifierImpl> zsl = makePtr<ZeroShotClassifierImpl>(Params());
    // OpenCV's parsers can throw std::exception (length_error, bad_alloc) on hostile input:
    // everything leaves this function as a cv::Exception that names the file.
    try
    {
        FileStorage fs;
        detail::openForReading(fs, filename, "zsl load");
        FileNode root = fs[kRootNode];
        if (root.empty())
            CV_Error(Error::StsParseError, cv::format("zsl load: '%s' has no '%s' node (not a zsl model)",
                                                      filename.c_str(), kRootNode));
        zsl->read(root);
    }
    catch (const cv::Exception& e)
    {
        if (e.err.find(filename) != std::string::npos)
            throw;
        CV_Error(Error::StsParseError, cv::format("zsl load: '%s' is not a valid model: %s", filename.c_str(), e.err.c_str()));
    }
    catch (const std::exception& e)
    {
        CV_Error(Error::StsParseError, cv::format("zsl load: '%s' is not a valid model: %s", filename.c_str(), e.what()));
    }
    return zsl;
}

void ZeroShotClassifier::save(const String& filename) const
{
    writeStorageAtomically(filename, [&](FileStorage& fs) {
        fs << getDefaultName() << "{";
        write(fs);
        fs << "}";
    });
}

}} // namespace cv::zsl
