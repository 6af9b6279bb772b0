// This file is part of the opencv_zsl module (cv::zsl).
// Internal: the compatibility function F(x, s) behind ZeroShotClassifier, one implementation per method.
#ifndef OPENCV_ZSL_COMPATIBILITY_MODEL_HPP
#define OPENCV_ZSL_COMPATIBILITY_MODEL_HPP

#include "opencv2/zsl/zero_shot_classifier.hpp"
#include "eigen_bridge.hpp"
#include <functional>

namespace cv {
namespace zsl {
namespace detail {

using ProgressCallback = TrainingCallback;

//! What the errors about ZeroShotClassifier::train()'s features name.
constexpr const char* kTrainFeaturesWhat = "zsl train: features";
struct ClosedFormStatistics;

/** A trained compatibility function between visual features and class prototypes.
    Implementations are immutable after train()/prepareClasses(), so the const methods may run
    concurrently from several threads. */
class CompatibilityModel
{
public:
    virtual ~CompatibilityModel() = default;

    //! ZeroShotClassifier::Method of this model.
    virtual int method() const = 0;

    /** Learns from seen classes: X (N x D) with labels y in [0, C) and seen prototypes S (C x A). */
    virtual void train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                       const ProgressCallback& progress) = 0;

    /** Learns from the sufficient statistics of the training set (closed-form methods: ESZSL, SAE; their
        train() is ClosedFormStatistics::add() followed by this). S: C x A seen prototypes, C =
        stats.numClasses(). Taken by value: the solves work in place on the D x D Gram matrix (callers
        that keep theirs pass a copy, train() moves its own). The default throws: iterative methods need the samples. */
    virtual void trainFromStatistics(ClosedFormStatistics stats, const RowMatrixXf& S);

    /** Called whenever the class table changes (all prototypes, seen rows first). Models that need the
        candidate prototypes at training time (GENERATIVE) do that work here; others ignore it. */
    virtual void prepareClasses(const RowMatrixXf& /*allPrototypes*/, int /*numSeen*/) {}

    /** A copy to run prepareClasses() on, for models whose prepareClasses() changes state: the classifier
        prepares a new class table on the copy while other threads keep scoring with the published model.
        Models without class-dependent state return nullptr and are shared between class tables. */
    virtual std::shared_ptr<CompatibilityModel> clone() const { return nullptr; }

    /** True when train() itself raises the classifier's error for a NaN or Inf feature (checkFinite() with
        kTrainFeaturesWhat: the same message, naming the first non-finite value), found in a pass it makes
        anyway: the classifier then skips its own scan of the training features. */
    virtual bool trainChecksFiniteFeatures() const { return false; }

    /** True when scores() and embed() are linear in X (up to row normalisation or a log-softmax of affine
        logits), so that a NaN or Inf feature always makes its row of scores non-finite: the classifier then
        checks the (small) scores instead of scanning the (large) input. */
    virtual bool linearInFeatures() const { return false; }

    /** Compatibility scores N x C of features X with class prototypes P (C x A); higher is better. */
    virtual RowMatrixXf scores(const RowRefXf& X, const RowMatrixXf& P) const = 0;

    /** Predicted prototype of each feature row, N x A. */
    virtual RowMatrixXf embed(const RowRefXf& X) const = 0;

    /** Feature dimension D and prototype dimension A the model was trained with. */
    virtual int featureDim() const = 0;
    virtual int prototypeDim() const = 0;

    /** Serialises the learned state (inside an open FileStorage map) and reads it back. */
    virtual void write(FileStorage& fs) const = 0;
    virtual void read(const FileNode& node) = 0;
};

/** A trained classifier without unseen classes, from params and seen prototypes (validated as in
    ZeroShotClassifier::train()), whose model is trained by trainModel(model, normalised seen prototypes). */
Ptr<ZeroShotClassifier> createTrainedClassifier(
    const ZeroShotClassifier::Params& params, const ClassPrototypes& seen,
    const std::function<void(CompatibilityModel& model, const RowMatrixXf& seenPrototypes)>& trainModel);

/** Creates the model of params.method (untrained). */
std::shared_ptr<CompatibilityModel> createCompatibilityModel(const ZeroShotClassifier::Params& params);

// One factory per method, each in its own source file.
std::shared_ptr<CompatibilityModel> createEszslModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createSaeModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createMlpModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createGenerativeModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createCadaVaeModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createFClswganModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createTfVaeganModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createDeviseModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createAleModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createSjeModel(const ZeroShotClassifier::Params& params);
std::shared_ptr<CompatibilityModel> createConseModel(const ZeroShotClassifier::Params& params);

/** Writes a matrix as a FileStorage node / reads it back, checking its shape. */
void writeMatrix(FileStorage& fs, const String& name, const RowMatrixXf& m);
RowMatrixXf readMatrix(const FileNode& node, const String& name, int rows = -1, int cols = -1);

}}} // namespace cv::zsl::detail

#endif
