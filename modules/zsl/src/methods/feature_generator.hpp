// This file is part of the opencv_zsl module (cv::zsl).
// Internal: the part shared by the feature-generating methods (GENERATIVE, CADA_VAE, F_CLSWGAN,
// TF_VAEGAN). Each learns, on seen classes, a way to produce samples of any class from its prototype in some space (the visual
// feature space, or a latent space); whenever the class table changes, a softmax classifier over all
// classes is trained on real seen samples + synthetic samples of the other classes, in that space.
// Scores are that classifier's log-probabilities of the (mapped) test features.
#ifndef OPENCV_ZSL_FEATURE_GENERATOR_HPP
#define OPENCV_ZSL_FEATURE_GENERATOR_HPP

#include "methods/compatibility_model.hpp"
#include "nn/nn_layers.hpp"
#include <map>
#include <string>

namespace cv {
namespace zsl {
namespace detail {

/** Softmax classifier (one dense layer, zero init) trained with cross-entropy and Adam on (X, y) over
    `numClasses` classes with p's learning rate, weight decay, epochs and batch size. */
nn::Sequential trainSoftmax(const RowMatrixXf& X, const std::vector<int>& y, int numClasses,
                            const ZeroShotClassifier::Params& p, nn::Rng& rng);

/** Generator inputs for `perClass` samples of every prototype row: [z, s_k] with z ~ N(0, I) of width
    `noiseDim` (drawn first, row by row), rows grouped by class. */
RowMatrixXf noiseAndPrototypes(const RowMatrixXf& prototypes, int perClass, int noiseDim, nn::Rng& rng);

/** `base` with the settings of a method's own softmax classifier (weight decay 0). */
ZeroShotClassifier::Params softmaxSettings(const ZeroShotClassifier::Params& base, int epochs, int batchSize, double learningRate);

class FeatureGeneratingModel : public CompatibilityModel
{
public:
    // Params are validated once, by the classifier (checkParams), before any model is created.
    FeatureGeneratingModel(const ZeroShotClassifier::Params& p, const char* tag) : params_(p), tag_(tag) {}

    int method() const CV_OVERRIDE { return params_.method; }
    void train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback& progress) CV_OVERRIDE CV_FINAL;
    void prepareClasses(const RowMatrixXf& allPrototypes, int numSeen) CV_OVERRIDE CV_FINAL;
    RowMatrixXf scores(const RowRefXf& X, const RowMatrixXf& P) const CV_OVERRIDE CV_FINAL;
    /** The expected prototype under the classifier's posterior: sum_c p(c | x) s_c. */
    RowMatrixXf embed(const RowRefXf& X) const CV_OVERRIDE CV_FINAL;
    int featureDim() const CV_OVERRIDE CV_FINAL { return featureDim_; }
    int prototypeDim() const CV_OVERRIDE CV_FINAL { return prototypeDim_; }
    void write(FileStorage& fs) const CV_OVERRIDE CV_FINAL;
    void read(const FileNode& node) CV_OVERRIDE CV_FINAL;

protected:
    //! Learns the generator on seen classes (X: N x D, labels y, prototypes S: C x A).
    virtual void trainGenerator(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                                const ProgressCallback& progress) = 0;
    virtual bool generatorTrained() const = 0;
    //! Width of the classifier's input space.
    virtual int spaceDim() const = 0;
    //! Test features -> classifier space (const, thread-safe, deterministic).
    virtual RowMatrixXf toSpace(const RowRefXf& X) const = 0;
    //! The classifier's logits for test features: classifier.infer(toSpace(X)). Overridden where the classifier
    //! can read the caller's rows without toSpace() copying them (identity space, concatenated features).
    virtual RowMatrixXf classifierLogits(const nn::Sequential& classifier, const RowRefXf& X) const
    {
        return classifier.infer(toSpace(X));
    }
    //! Real training features -> classifier samples (may draw noise from rng). Default: toSpace().
    virtual RowMatrixXf realToSpace(const RowMatrixXf& X, nn::Rng& /*rng*/) const { return toSpace(X); }
    //! `perClass` synthetic samples per prototype row, grouped by class.
    virtual RowMatrixXf synthesise(const RowMatrixXf& prototypes, int perClass, nn::Rng& rng) const = 0;
    //! Serialises / restores the generator's learned state (dimensions d, a already read and checked).
    virtual void writeGenerator(FileStorage& fs) const = 0;
    virtual void readGenerator(const FileNode& node, int d, int a) = 0;
    //! Settings of the softmax classifier (default: the method's own learning rate, epochs, batch size).
    virtual ZeroShotClassifier::Params classifierParams() const { return params_; }

    void checkTrained(const char* what) const;
    void checkPrepared(const char* what) const;

    ZeroShotClassifier::Params params_;

private:
    void setTable(const RowMatrixXf& table);
    //! The classifier's log-probabilities of every class of the table for the rows of X.
    RowMatrixXf logProbabilities(const RowRefXf& X) const;

    const char* tag_;
    // Shared between clones (class tables): replaced, never modified, once prepared.
    std::shared_ptr<const nn::Sequential> classifier_;
    RowMatrixXf table_;
    std::map<std::string, int> tableIndex_;
    int featureDim_ = 0, prototypeDim_ = 0;
    RowMatrixXf trainX_, trainS_; // real seen features for prepareClasses(); kept in memory, never serialised
    std::vector<int> trainY_;
};

}}} // namespace cv::zsl::detail

#endif
