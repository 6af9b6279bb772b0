// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include <filesystem>
#include <mutex>
#include <numeric>
#include "methods/compatibility_model.hpp"
#include "opencv2/zsl/atomic_file.hpp"
#include "io/storage.hpp"
#include "io/input_file.hpp"
#include "opencv2/zsl/input_limits.hpp"

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

static const char* const kMethodNames[] = {"ESZSL", "SAE", "DEVISE", "ALE", "SJE", "MLP", "CONSE", "GENERATIVE", "CADA_VAE", "F_CLSWGAN", "TF_VAEGAN"};
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
    CV_Error(Error::StsBadArg, cv::format("zsl: unknown method name '%s' (expected ESZSL, SAE, DEVISE, ALE, SJE, MLP, CONSE, GENERATIVE, CADA_VAE, F_CLSWGAN or TF_VAEGAN)",
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

// A parameter outside [lo, hi] (NaN included): the message names the field and the bound.
static void checkBound(const char* field, double v, double lo, double hi, const char* bound)
{
    if (!(v >= lo && v <= hi))
        CV_Error(Error::StsOutOfRange, cv::format("zsl: params.%s = %.10g must be in [%.10g, %.10g] (%s)", field, v, lo, hi, bound));
}

static void checkParams(const ZeroShotClassifier::Params& p)
{
    using namespace bounds;
    methodName(p.method); // range check
    if (p.prototypeNormalization < PROTOTYPE_NORM_NONE || p.prototypeNormalization > PROTOTYPE_NORM_ZSCORE)
        CV_Error(Error::StsOutOfRange, cv::format("zsl: unknown prototypeNormalization %d", p.prototypeNormalization));
    checkBound("eszslGamma", p.eszslGamma, 0, kMaxRegulariser, "bounds::kMaxRegulariser");
    checkBound("eszslLambda", p.eszslLambda, 0, kMaxRegulariser, "bounds::kMaxRegulariser");
    checkBound("saeLambda", p.saeLambda, DBL_MIN, kMaxRegulariser, "> 0, bounds::kMaxRegulariser");
    if (p.saeDirection != ZeroShotClassifier::SAE_SEMANTIC_SPACE && p.saeDirection != ZeroShotClassifier::SAE_VISUAL_SPACE)
        CV_Error(Error::StsOutOfRange, cv::format("zsl: unknown saeDirection %d", p.saeDirection));
    checkBound("epochs", p.epochs, 1, kMaxEpochs, "bounds::kMaxEpochs");
    checkBound("patience", p.patience, 1, kMaxEpochs, "bounds::kMaxEpochs");
    checkBound("batchSize", p.batchSize, 1, kMaxBatchSize, "bounds::kMaxBatchSize");
    checkBound("learningRate", p.learningRate, DBL_MIN, kMaxLearningRate, "> 0, bounds::kMaxLearningRate");
    checkBound("weightDecay", p.weightDecay, 0, kMaxRegulariser, "bounds::kMaxRegulariser");
    checkBound("margin", p.margin, -kMaxRegulariser, kMaxRegulariser, "bounds::kMaxRegulariser");
    checkBound("conseTopT", p.conseTopT, 1, kMaxConseTopT, "bounds::kMaxConseTopT");
    checkBound("latentDim", p.latentDim, 1, kMaxHiddenSize, "bounds::kMaxHiddenSize");
    checkBound("syntheticPerClass", p.syntheticPerClass, 1, kMaxSyntheticPerClass, "bounds::kMaxSyntheticPerClass");
    if (!(p.dropout >= 0 && p.dropout < 1) || !(p.validationFraction >= 0 && p.validationFraction < 1))
        CV_Error(Error::StsOutOfRange, cv::format("zsl: params.dropout = %g and params.validationFraction = %g must be in [0, 1)",
                                                  p.dropout, p.validationFraction));
    if (!(p.leakyReluSlope >= 0 && p.leakyReluSlope < 1))
        CV_Error(Error::StsOutOfRange, cv::format("zsl: params.leakyReluSlope = %g must be in [0, 1)", p.leakyReluSlope));
    if (p.loss != ZeroShotClassifier::LOSS_MSE && p.loss != ZeroShotClassifier::LOSS_COSINE)
        CV_Error(Error::StsOutOfRange, cv::format("zsl: unknown loss %d (LOSS_MSE=0, LOSS_COSINE=1)", p.loss));
    if (p.hiddenSizes.size() > (size_t)kMaxHiddenLayers)
        CV_Error(Error::StsOutOfRange, cv::format("zsl: params.hiddenSizes has %zu layers, at most %d (bounds::kMaxHiddenLayers)",
                                                  p.hiddenSizes.size(), kMaxHiddenLayers));
    if (p.method == ZeroShotClassifier::CADA_VAE && p.hiddenSizes.size() != 1 && p.hiddenSizes.size() != 4)
        CV_Error(Error::StsBadArg, cv::format("zsl: CADA_VAE takes 1 hidden width (all four networks) or 4 (feature encoder, "
                                              "feature decoder, prototype encoder, prototype decoder); params.hiddenSizes has %zu",
                                              p.hiddenSizes.size()));
    if (p.method == ZeroShotClassifier::F_CLSWGAN && p.hiddenSizes.size() != 1)
        CV_Error(Error::StsBadArg, cv::format("zsl: F_CLSWGAN takes 1 hidden width (generator and critic); params.hiddenSizes has %zu",
                                              p.hiddenSizes.size()));
    if (p.method == ZeroShotClassifier::TF_VAEGAN && p.hiddenSizes.size() != 1)
        CV_Error(Error::StsBadArg, cv::format("zsl: TF_VAEGAN takes 1 hidden width (encoder, generator, critic, decoder and "
                                              "feedback module); params.hiddenSizes has %zu", p.hiddenSizes.size()));
    for (int h : p.hiddenSizes)
        if (h < 1 || h > kMaxHiddenSize) // the bound keeps a hostile model file from requesting huge layers
            CV_Error(Error::StsOutOfRange, cv::format("zsl: params.hiddenSizes: hidden layer width %d must be in [1, %d] "
                                                      "(bounds::kMaxHiddenSize)", h, kMaxHiddenSize));
}

/** Everything predict() reads, published as one immutable snapshot: a call takes the current snapshot
    once and uses it throughout, so registrations (addClass, setUnseenClasses, setMode, setCalibration,
    train, setEncoder) running in other threads are seen either entirely or not at all. */
struct ClassifierState
{
    ZeroShotClassifier::Params params;
    Ptr<VisualEncoder> encoder;
    std::shared_ptr<const CompatibilityModel> model; // prepared for `table`
    ClassPrototypes seen, seenNormalized, unseen;
    RowMatrixXf table; // normalised prototypes of every class, seen rows first
    int mode = ZeroShotClassifier::MODE_ZSL;
    double calibration = 0;
    bool trained = false;

    /** A copy to modify and publish. Prototype matrices are deep-copied so that no buffer is shared
        between two published states: each is freed with its state (through the shared_ptr's atomic
        count), never through cv::Mat reference counts touched by two threads. */
    ClassifierState modifiableCopy() const
    {
        ClassifierState c(*this);
        for (ClassPrototypes* p : {&c.seen, &c.seenNormalized, &c.unseen})
            p->vectors = p->vectors.clone();
        return c;
    }

    int numSeen() const { return seen.size(); }
    int numClasses() const { return seen.size() + unseen.size(); }
};

using StatePtr = std::shared_ptr<const ClassifierState>;

class ZeroShotClassifierImpl CV_FINAL : public ZeroShotClassifier
{
public:
    explicit ZeroShotClassifierImpl(const Params& params, const Ptr<VisualEncoder>& encoder = Ptr<VisualEncoder>())
    {
        checkParams(params);
        auto s = std::make_shared<ClassifierState>();
        s->params = params;
        s->encoder = encoder;
        s->model = createCompatibilityModel(params);
        state_ = s;
    }

    void setProgressCallback(const TrainingCallback& cb) CV_OVERRIDE
    {
        std::lock_guard<std::mutex> lock(writeMutex_);
        progress_ = cb;
    }

    void train(InputArray features, InputArray labels, const ClassPrototypes& seen) CV_OVERRIDE
    {
        trainWith(seen, [&](const ClassifierState& s, CompatibilityModel& model, const RowMatrixXf& seenPrototypes) {
            FeatureRows rows; // in place for continuous CV_32F input: training reads the features, never copies them
            const ConstRowMapXf X = featureRows(s, features, kTrainFeaturesWhat, rows, model.trainChecksFiniteFeatures());
            std::vector<int> y = toLabels(labels, seen.size(), "zsl train: labels");
            if ((int)y.size() != X.rows())
                CV_Error(Error::StsBadSize, cv::format("zsl train: %d feature rows but %d labels", (int)X.rows(), (int)y.size()));
            model.train(X, y, seenPrototypes, progress_);
        });
    }

    /** The training of train(): validates `seen`, then trainModel(state, new model, normalised seen
        prototypes) and publishes the trained state (the registered unseen classes kept). */
    void trainWith(const ClassPrototypes& seen,
                   const std::function<void(const ClassifierState&, CompatibilityModel&, const RowMatrixXf&)>& trainModel)
    {
        std::lock_guard<std::mutex> lock(writeMutex_);
        ClassifierState s = snapshot()->modifiableCopy();
        seen.validate();
        if (seen.size() < 2)
            CV_Error(Error::StsBadArg, cv::format("zsl train: need at least 2 seen classes, got %d", seen.size()));
        ClassPrototypes seenNorm = seen.normalized(s.params.prototypeNormalization);
        // Unseen classes registered earlier must keep the prototype dimension.
        if (!s.unseen.names.empty() && s.unseen.dims() != seen.dims())
            CV_Error(Error::StsBadSize, cv::format("zsl train: seen prototypes have %d dimensions but the registered unseen classes have %d",
                                                   seen.dims(), s.unseen.dims()));
        for (const String& n : seen.names)
            if (s.unseen.indexOf(n) >= 0)
                CV_Error(Error::StsBadArg, cv::format("zsl train: seen class '%s' is already registered as unseen", n.c_str()));

        std::shared_ptr<CompatibilityModel> model = createCompatibilityModel(s.params);
        trainModel(s, *model, viewEigen(seenNorm.vectors));
        s.model = model;
        s.seen = seen;
        s.seen.vectors = seen.vectors.clone(); // the caller keeps its Mat: later edits must not reach the state
        s.seenNormalized = seenNorm;
        s.trained = true;
        publishWithClasses(std::move(s));
    }

    void trainImages(InputArrayOfArrays images, InputArray labels, const ClassPrototypes& seen) CV_OVERRIDE
    {
        Mat features;
        extractFeatures(images, features);
        train(features, labels, seen);
    }

    void setUnseenClasses(const ClassPrototypes& unseen) CV_OVERRIDE
    {
        std::lock_guard<std::mutex> lock(writeMutex_);
        ClassifierState s = snapshot()->modifiableCopy();
        if (!unseen.names.empty())
        {
            unseen.validate();
            checkPrototypeDim(s, unseen.dims(), "zsl setUnseenClasses");
            for (const String& n : unseen.names)
                if (s.seen.indexOf(n) >= 0)
                    CV_Error(Error::StsBadArg, cv::format("zsl setUnseenClasses: '%s' is already a seen class", n.c_str()));
        }
        s.unseen = unseen;
        s.unseen.vectors = unseen.vectors.clone(); // the caller keeps its Mat
        publishWithClasses(std::move(s));
    }

    int addClass(const String& name, InputArray prototype, bool seen) CV_OVERRIDE
    {
        if (name.empty())
            CV_Error(Error::StsBadArg, "zsl addClass: empty class name");
        Mat v = prototype.getMat();
        if (v.empty() || v.channels() != 1 || (v.rows != 1 && v.cols != 1))
            CV_Error(Error::StsBadArg, cv::format("zsl addClass('%s'): the prototype must be a non-empty 1 x A vector", name.c_str()));
        Mat row;
        v.reshape(1, 1).convertTo(row, CV_32F);

        std::lock_guard<std::mutex> lock(writeMutex_);
        ClassifierState s = snapshot()->modifiableCopy();
        if (s.seen.indexOf(name) >= 0 || s.unseen.indexOf(name) >= 0)
            CV_Error(Error::StsBadArg, cv::format("zsl addClass: class '%s' already exists", name.c_str()));
        checkPrototypeDim(s, row.cols, "zsl addClass");
        ClassPrototypes& target = seen ? s.seen : s.unseen;
        ClassPrototypes updated;
        updated.names = target.names;
        updated.names.push_back(name);
        // A new matrix with the row appended (validated before it replaces the old one).
        if (target.vectors.empty())
            updated.vectors = row;
        else
            cv::vconcat(target.vectors, row, updated.vectors);
        updated.validate();
        target = updated;
        if (seen)
            s.seenNormalized = s.seen.normalized(s.params.prototypeNormalization);
        const int index = seen ? s.seen.size() - 1 : s.numClasses() - 1;
        publishWithClasses(std::move(s));
        return index;
    }

    ClassPrototypes getClasses() const CV_OVERRIDE
    {
        const StatePtr s = snapshot();
        ClassPrototypes all;
        all.names = s->seen.names;
        all.names.insert(all.names.end(), s->unseen.names.begin(), s->unseen.names.end());
        if (!s->seen.vectors.empty() && !s->unseen.vectors.empty())
            cv::vconcat(s->seen.vectors, s->unseen.vectors, all.vectors);
        else
            all.vectors = s->seen.vectors.empty() ? s->unseen.vectors.clone() : s->seen.vectors.clone();
        return all;
    }

    int getNumSeenClasses() const CV_OVERRIDE { return snapshot()->numSeen(); }

    void setMode(int mode) CV_OVERRIDE
    {
        if (mode != MODE_ZSL && mode != MODE_GZSL)
            CV_Error(Error::StsOutOfRange, cv::format("zsl setMode: unknown mode %d (MODE_ZSL=0, MODE_GZSL=1)", mode));
        std::lock_guard<std::mutex> lock(writeMutex_);
        auto s = std::make_shared<ClassifierState>(snapshot()->modifiableCopy());
        s->mode = mode;
        publish(s);
    }
    int getMode() const CV_OVERRIDE { return snapshot()->mode; }

    void setCalibration(double gamma) CV_OVERRIDE
    {
        if (!std::isfinite(gamma))
            CV_Error(Error::StsBadArg, "zsl setCalibration: the calibration constant must be finite");
        std::lock_guard<std::mutex> lock(writeMutex_);
        auto s = std::make_shared<ClassifierState>(snapshot()->modifiableCopy());
        s->calibration = gamma;
        publish(s);
    }
    double getCalibration() const CV_OVERRIDE { return snapshot()->calibration; }

    void computeScores(InputArray features, OutputArray scores) const CV_OVERRIDE
    {
        const StatePtr s = snapshot();
        checkTrained(*s, "computeScores");
        if (s->table.rows() == 0)
            CV_Error(Error::StsError, "zsl computeScores: no classes registered");
        FeatureRows rows;
        const ConstRowMapXf X = scoringRows(*s, features, "zsl computeScores: features", rows);
        const RowMatrixXf S = s->model->scores(X, s->table);
        checkScores(rows, S, "zsl computeScores: features");
        toOutput(S, scores);
    }

    void predict(InputArray features, OutputArray labels, OutputArray scores, int topK) const CV_OVERRIDE
    {
        predictWith(snapshot(), features, labels, scores, topK);
    }

    void predictImages(InputArrayOfArrays images, OutputArray labels, OutputArray scores, int topK) const CV_OVERRIDE
    {
        // One snapshot for both steps: the encoder and the classes belong to the same state.
        const StatePtr s = snapshot();
        Mat features;
        encodeWith(*s, images, features);
        predictWith(s, features, labels, scores, topK);
    }

    void predictAttributes(InputArray features, OutputArray attributes) const CV_OVERRIDE
    {
        const StatePtr s = snapshot();
        checkTrained(*s, "predictAttributes");
        FeatureRows rows;
        const ConstRowMapXf X = scoringRows(*s, features, "zsl predictAttributes: features", rows);
        const RowMatrixXf A = s->model->embed(X);
        checkScores(rows, A, "zsl predictAttributes: features");
        toOutput(A, attributes);
    }

    void extractFeatures(InputArrayOfArrays images, OutputArray features) const CV_OVERRIDE
    {
        encodeWith(*snapshot(), images, features);
    }

    bool isTrained() const CV_OVERRIDE { return snapshot()->trained; }
    Params getParams() const CV_OVERRIDE { return snapshot()->params; }
    Ptr<VisualEncoder> getEncoder() const CV_OVERRIDE { return snapshot()->encoder; }
    void setEncoder(const Ptr<VisualEncoder>& encoder) CV_OVERRIDE
    {
        std::lock_guard<std::mutex> lock(writeMutex_);
        auto s = std::make_shared<ClassifierState>(snapshot()->modifiableCopy());
        if (encoder && s->trained && encoder->getFeatureDim() != s->model->featureDim())
            CV_Error(Error::StsBadSize, cv::format("zsl setEncoder: encoder gives %d-d features but the model was trained on %d-d",
                                                   encoder->getFeatureDim(), s->model->featureDim()));
        s->encoder = encoder;
        publish(s);
    }

    String getDefaultName() const CV_OVERRIDE { return kRootNode; }

    void write(FileStorage& fs) const CV_OVERRIDE
    {
        writeState(fs, *snapshot(), String());
    }

    /** Writes `s`; the backbone path is stored relative to `modelFile`'s directory when one is given. */
    static void writeState(FileStorage& fs, const ClassifierState& s, const String& modelFile)
    {
        checkTrained(s, "write");
        fs << "format_version" << kFormatVersion;
        fs << "kind" << "ZeroShotClassifier";
        writeParams(fs, s.params);
        fs << "mode" << s.mode << "calibration" << s.calibration;
        fs << "seen_names" << s.seen.names << "seen_vectors" << s.seen.vectors;
        fs << "unseen_names" << s.unseen.names;
        if (!s.unseen.names.empty())
            fs << "unseen_vectors" << s.unseen.vectors;
        fs << "model" << "{";
        s.model->write(fs);
        fs << "}";
        if (s.encoder)
        {
            EncoderPreprocessing pp = s.encoder->getPreprocessing();
            fs << "encoder" << "{";
            writeBackbonePath(fs, "model", s.encoder->getModelPath(), modelFile);
            writeBackbonePath(fs, "config", s.encoder->getConfigPath(), modelFile);
            fs << "layer" << s.encoder->getFeatureLayer() << "batchSize" << s.encoder->getBatchSize();
            fs << "normalize" << (int)s.encoder->getNormalize();
            fs << "inputSize" << pp.inputSize << "resizeShorter" << pp.resizeShorter << "swapRB" << (int)pp.swapRB;
            fs << "scale" << pp.scale << "mean" << pp.mean << "std" << pp.std;
            fs << "}";
        }
    }

    void read(const FileNode& node) CV_OVERRIDE
    {
        readFrom(node, LoadOptions());
    }

    struct LoadOptions
    {
        String modelFile;     // the file being read: relative backbone paths are resolved against its folder
        String backbonePath;  // replaces the stored backbone path when not empty
        bool withEncoder = true;
        int backendId = 0, targetId = 0;
    };

    void readFrom(const FileNode& node, const LoadOptions& options)
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
        if (mode != MODE_ZSL && mode != MODE_GZSL)
            CV_Error(Error::StsParseError, cv::format("zsl model: unknown mode %d", mode));
        if (!std::isfinite(calibration))
            CV_Error(Error::StsParseError, "zsl model: calibration is not finite");
        ClassPrototypes seen, unseen;
        node["seen_names"] >> seen.names;
        if (seen.names.size() > (size_t)bounds::kMaxClasses || node["unseen_names"].size() > (size_t)bounds::kMaxClasses)
            CV_Error(Error::StsOutOfRange, cv::format("zsl model: seen_names / unseen_names: more than %d classes (bounds::kMaxClasses)",
                                                      bounds::kMaxClasses));
        seen.vectors = readMatNode(node["seen_vectors"], "zsl model: seen_vectors");
        node["unseen_names"] >> unseen.names;
        if (!unseen.names.empty())
            unseen.vectors = readMatNode(node["unseen_vectors"], "zsl model: unseen_vectors");
        seen.validate();
        if (!unseen.names.empty())
            unseen.validate();
        std::shared_ptr<CompatibilityModel> model = createCompatibilityModel(params);
        model->read(node["model"]);
        if (model->prototypeDim() > bounds::kMaxDims || model->featureDim() > bounds::kMaxDims)
            CV_Error(Error::StsOutOfRange, cv::format("zsl model: model dimensions %d (prototypes) / %d (features) above %d "
                                                      "(bounds::kMaxDims)", model->prototypeDim(), model->featureDim(), bounds::kMaxDims));
        if (model->prototypeDim() != seen.dims() || (!unseen.names.empty() && unseen.dims() != seen.dims()))
            CV_Error(Error::StsParseError, "zsl model: prototype dimension does not match the stored model");

        Ptr<VisualEncoder> encoder;
        FileNode enc = node["encoder"];
        if (!enc.empty() && options.withEncoder)
            encoder = readEncoder(enc, options);
        if (encoder && encoder->getFeatureDim() != model->featureDim())
            CV_Error(Error::StsBadSize, cv::format("zsl model: the backbone gives %d-d features but the model was trained on %d-d",
                                                   encoder->getFeatureDim(), model->featureDim()));

        ClassifierState s;
        s.params = params;
        s.model = model;
        s.seen = seen;
        s.seenNormalized = seen.normalized(params.prototypeNormalization);
        s.unseen = unseen;
        s.encoder = encoder;
        s.trained = true;
        s.mode = mode;
        s.calibration = calibration;
        std::lock_guard<std::mutex> lock(writeMutex_);
        publishWithClasses(std::move(s));
    }

    void saveTo(const String& filename) const
    {
        const StatePtr s = snapshot();
        writeStorageAtomically(filename, [&](FileStorage& fs) {
            fs << kRootNode << "{";
            writeState(fs, *s, filename);
            fs << "}";
        });
    }

private:
    StatePtr snapshot() const { return std::atomic_load(&state_); }
    void publish(const StatePtr& s) { std::atomic_store(&state_, s); }

    /** Rebuilds the class table of `s` (and the model's class-dependent state) and publishes it.
        Caller holds writeMutex_. */
    void publishWithClasses(ClassifierState&& s)
    {
        ClassPrototypes unseenNorm = s.unseen.names.empty() ? ClassPrototypes()
                                                            : s.unseen.normalized(s.params.prototypeNormalization);
        const int a = s.seen.size() ? s.seen.dims() : s.unseen.dims();
        RowMatrixXf table(s.numClasses(), a);
        if (s.seen.size())
            table.topRows(s.seen.size()) = viewEigen(s.seenNormalized.vectors);
        if (s.unseen.size())
            table.bottomRows(s.unseen.size()) = viewEigen(unseenNorm.vectors);
        s.table = std::move(table);
        if (s.trained)
        {
            // Models with class-dependent state are prepared on a copy: readers keep scoring with theirs.
            std::shared_ptr<CompatibilityModel> prepared = s.model->clone();
            if (prepared)
            {
                prepared->prepareClasses(s.table, s.numSeen());
                s.model = prepared;
            }
        }
        publish(std::make_shared<const ClassifierState>(std::move(s)));
    }

    static void writeBackbonePath(FileStorage& fs, const char* key, const String& path, const String& modelFile)
    {
        namespace stdfs = std::filesystem;
        fs << key << path;
        if (path.empty() || modelFile.empty())
            return;
        // Relative to the model file, so that a model and its backbone can move together.
        std::error_code ec;
        const stdfs::path absolute = stdfs::absolute(path, ec);
        if (ec)
            return;
        const stdfs::path base = stdfs::absolute(stdfs::path(modelFile), ec).parent_path();
        if (ec)
            return;
        const stdfs::path rel = absolute.lexically_normal().lexically_relative(base.lexically_normal());
        if (!rel.empty())
            fs << (String(key) + "_relative_to_model") << rel.string();
        fs << (String(key) + "_absolute") << absolute.lexically_normal().string();
    }

    /** The stored backbone file: `preferred` when given, then relative to the model file, then absolute,
        then as typed. */
    static String resolveBackbonePath(const FileNode& enc, const char* key, const LoadOptions& options,
                                      const String& preferred = String())
    {
        namespace stdfs = std::filesystem;
        String typed, relative, absolute;
        enc[key] >> typed;
        enc[String(key) + "_relative_to_model"] >> relative;
        enc[String(key) + "_absolute"] >> absolute;
        std::vector<String> candidates;
        if (!preferred.empty())
            candidates.push_back(preferred);
        if (!relative.empty() && !options.modelFile.empty())
            candidates.push_back((stdfs::path(options.modelFile).parent_path() / relative).lexically_normal().string());
        if (!absolute.empty())
            candidates.push_back(absolute);
        if (!typed.empty())
            candidates.push_back(typed);
        for (const String& c : candidates)
        {
            std::error_code ec;
            if (stdfs::is_regular_file(c, ec))
                return c;
        }
        if (typed.empty())
            return typed;
        String tried;
        for (const String& c : candidates)
            tried += (tried.empty() ? "'" : ", '") + c + "'";
        CV_Error(Error::StsObjectNotFound,
                 cv::format("zsl load: the backbone %s of the model is not found (tried %s); pass its path to "
                            "ZeroShotClassifier::load(filename, backbonePath), or load with LOAD_WITHOUT_ENCODER "
                            "to classify features", key, tried.c_str()));
    }

    static Ptr<VisualEncoder> readEncoder(const FileNode& enc, const LoadOptions& options)
    {
        String layer;
        int batch = 1, normalize = 0, swapRB = 1;
        EncoderPreprocessing pp;
        const String modelPath = options.backbonePath.empty() ? resolveBackbonePath(enc, "model", options)
                                                              : options.backbonePath;
        // Another backbone (Darknet/Caffe weights) looks first for a config of the stored name beside it.
        String storedConfig, besideBackbone;
        enc["config"] >> storedConfig;
        if (!options.backbonePath.empty() && !storedConfig.empty())
            besideBackbone = (std::filesystem::path(options.backbonePath).parent_path() /
                              std::filesystem::path(storedConfig).filename()).string();
        const String configPath = resolveBackbonePath(enc, "config", options, besideBackbone);
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
        // Every field from the file is bounded before use (VisualEncoder::create checks the preprocessing).
        if (batch < 1 || batch > bounds::kMaxBatchSize)
            CV_Error(Error::StsOutOfRange, cv::format("zsl model: encoder.batchSize = %d must be in [1, %d] (bounds::kMaxBatchSize)",
                                                      batch, bounds::kMaxBatchSize));
        if ((normalize != 0 && normalize != 1) || (swapRB != 0 && swapRB != 1))
            CV_Error(Error::StsOutOfRange, cv::format("zsl model: encoder.normalize = %d and encoder.swapRB = %d must be 0 or 1",
                                                      normalize, swapRB));
        Ptr<VisualEncoder> encoder = VisualEncoder::create(modelPath, configPath, pp, layer, options.backendId, options.targetId);
        encoder->setBatchSize(batch);
        encoder->setNormalize(normalize != 0);
        return encoder;
    }

    static void checkTrained(const ClassifierState& s, const char* what)
    {
        if (!s.trained)
            CV_Error(Error::StsError, cv::format("zsl %s: the classifier is not trained", what));
    }

    static void checkPrototypeDim(const ClassifierState& s, int dims, const char* what)
    {
        const int expected = s.trained ? s.model->prototypeDim() : (s.seen.size() ? s.seen.dims() : s.unseen.dims());
        if (expected > 0 && dims != expected)
            CV_Error(Error::StsBadSize, cv::format("%s: prototype has %d dimensions, the classifier uses %d", what, dims, expected));
    }

    static void encodeWith(const ClassifierState& s, InputArrayOfArrays images, OutputArray features)
    {
        if (!s.encoder)
            CV_Error(Error::StsError, "zsl: this classifier has no visual encoder (create it with one, or pass features)");
        s.encoder->encode(images, features);
    }

    static void checkFeatureDim(const ClassifierState& s, int cols, const char* what)
    {
        if (s.trained && cols != s.model->featureDim())
            CV_Error(Error::StsBadSize, cv::format("%s: %d columns, the model was trained on %d-d features",
                                                   what, cols, s.model->featureDim()));
    }

    static RowMatrixXf prepareFeatures(const ClassifierState& s, InputArray features, const char* what)
    {
        RowMatrixXf X = toEigen(features, what);
        checkFeatureDim(s, (int)X.cols(), what);
        if (s.params.normalizeFeatures)
            normalizeRows(X);
        return X;
    }

    /** Features as an Eigen view: continuous CV_32F input is read in place when no normalisation applies,
        other input is checked and converted into `copy`. A view is checked for NaN/Inf here (one read
        pass, no copy), unless `modelRevealsNonFinite`: for a model linear in the features, a non-finite
        input value always makes its output row non-finite, which checkScores() then reports; a model whose
        train() checks its features itself (trainChecksFiniteFeatures()) does so in a pass it makes anyway. */
    struct FeatureRows
    {
        Mat input;
        RowMatrixXf copy;
        bool checked = false; // input already checked for NaN/Inf
    };

    static ConstRowMapXf featureRows(const ClassifierState& s, InputArray features, const char* what, FeatureRows& rows,
                                     bool modelRevealsNonFinite)
    {
        rows.input = features.getMat();
        const Mat& m = rows.input;
        if (!s.params.normalizeFeatures && m.type() == CV_32FC1 && m.dims == 2 && !m.empty() && m.isContinuous())
        {
            checkFeatureDim(s, m.cols, what);
            if (!modelRevealsNonFinite)
            {
                checkFinite(m, what);
                rows.checked = true;
            }
            return ConstRowMapXf(m.ptr<float>(), m.rows, m.cols);
        }
        rows.copy = prepareFeatures(s, features, what);
        rows.checked = true;
        return ConstRowMapXf(rows.copy.data(), rows.copy.rows(), rows.copy.cols());
    }

    //! featureRows() for scoring with the state's trained model.
    static ConstRowMapXf scoringRows(const ClassifierState& s, InputArray features, const char* what, FeatureRows& rows)
    {
        return featureRows(s, features, what, rows, s.model->linearInFeatures());
    }

    /** Throws when a row of `out` (scores or embeddings) is not finite, naming the input value behind it. */
    static void checkScores(const FeatureRows& rows, const RowMatrixXf& out, const char* what)
    {
        if (out.allFinite())
            return;
        for (Eigen::Index i = 0; i < out.rows(); i++)
            if (!out.row(i).allFinite())
            {
                // Rows above i scored finitely, so their input is finite (linear model): checkFinite() on
                // rows [0, i] names the bad value of row i by its row and column.
                if (!rows.checked)
                    checkFinite(rows.input.rowRange(0, (int)i + 1), what);
                CV_Error(Error::StsBadArg, cv::format("%s: row %d gives non-finite scores (feature values too large)",
                                                      what, (int)i));
            }
    }

    static void toOutput(const RowMatrixXf& m, OutputArray out)
    {
        out.create((int)m.rows(), (int)m.cols(), CV_32F);
        Mat dst = out.getMat();
        Eigen::Map<RowMatrixXf>(dst.ptr<float>(), m.rows(), m.cols()) = m;
    }

    static void predictWith(const StatePtr& state, InputArray features, OutputArray labels, OutputArray scores, int topK)
    {
        const ClassifierState& s = *state;
        checkTrained(s, "predict");
        const int numSeen = s.numSeen(), numAll = s.numClasses();
        const int first = s.mode == MODE_ZSL ? numSeen : 0;
        const int numCandidates = numAll - first;
        if (numCandidates == 0)
            CV_Error(Error::StsError, s.mode == MODE_ZSL
                     ? "zsl predict: ZSL mode but no unseen classes registered (setUnseenClasses / addClass)"
                     : "zsl predict: no classes registered");
        if (topK < 1 || topK > numCandidates)
            CV_Error(Error::StsOutOfRange, cv::format("zsl predict: topK=%d must be in [1, %d] (number of candidate classes)",
                                                      topK, numCandidates));
        FeatureRows rows;
        const ConstRowMapXf X = scoringRows(s, features, "zsl predict: features", rows);
        // Score every class, then keep the candidates: the same numbers as computeScores(), bit for bit.
        RowMatrixXf all = s.model->scores(X, s.table);
        checkScores(rows, all, "zsl predict: features");
        RowMatrixXf S = all.rightCols(numCandidates);
        if (s.mode == MODE_GZSL && numSeen > 0)
            S.leftCols(numSeen).array() -= (float)s.calibration;

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

    StatePtr state_;          // read and replaced with std::atomic_load / std::atomic_store only
    std::mutex writeMutex_;   // serialises the writers' copy-modify-publish
    ProgressCallback progress_;
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

Ptr<ZeroShotClassifier> detail::createTrainedClassifier(
    const ZeroShotClassifier::Params& params, const ClassPrototypes& seen,
    const std::function<void(CompatibilityModel& model, const RowMatrixXf& seenPrototypes)>& trainModel)
{
    Ptr<ZeroShotClassifierImpl> zsl = makePtr<ZeroShotClassifierImpl>(params);
    zsl->trainWith(seen, [&](const ClassifierState&, CompatibilityModel& model, const RowMatrixXf& seenPrototypes) {
        trainModel(model, seenPrototypes);
    });
    return zsl;
}

Ptr<ZeroShotClassifier> ZeroShotClassifier::load(const String& filename, const String& backbonePath, int flags,
                                                 int backend_id, int target_id)
{
    if (flags & ~LOAD_WITHOUT_ENCODER)
        CV_Error(Error::StsBadArg, cv::format("zsl load: unknown flags 0x%x", flags));
    Ptr<ZeroShotClassifierImpl> zsl = makePtr<ZeroShotClassifierImpl>(Params());
    ZeroShotClassifierImpl::LoadOptions options;
    options.modelFile = filename;
    options.backbonePath = backbonePath;
    options.withEncoder = (flags & LOAD_WITHOUT_ENCODER) == 0;
    options.backendId = backend_id;
    options.targetId = target_id;
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
        zsl->readFrom(root, options);
    }
    catch (const cv::Exception& e)
    {
        if (e.err.find(filename) != std::string::npos)
            throw;
        CV_Error(e.code == Error::StsObjectNotFound ? Error::StsObjectNotFound : Error::StsParseError,
                 cv::format("zsl load: '%s' is not a valid model: %s", filename.c_str(),
                            detail::escapeForMessage(e.err, 2000).c_str()));
    }
    catch (const std::bad_alloc&)
    {
        CV_Error(Error::StsNoMem, cv::format("zsl load: '%s': out of memory (std::bad_alloc)", filename.c_str()));
    }
    catch (const std::exception& e)
    {
        CV_Error(Error::StsParseError, cv::format("zsl load: '%s' is not a valid model: %s", filename.c_str(),
                                                  detail::escapeForMessage(e.what(), 2000).c_str()));
    }
    return zsl;
}

void ZeroShotClassifier::save(const String& filename) const
{
    const ZeroShotClassifierImpl* impl = dynamic_cast<const ZeroShotClassifierImpl*>(this);
    if (impl)
    {
        impl->saveTo(filename);
        return;
    }
    writeStorageAtomically(filename, [&](FileStorage& fs) {
        fs << getDefaultName() << "{";
        write(fs);
        fs << "}";
    });
}

}} // namespace cv::zsl
