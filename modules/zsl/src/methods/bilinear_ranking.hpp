// This file is part of the opencv_zsl module (cv::zsl).
// Internal: bilinear compatibility F(x, s) = x^T W s trained on minibatches with a hinge ranking loss,
// the common part of ALE (ale.cpp), SJE (sje.cpp) and DeViSE (devise.cpp), which differ in the loss,
// the optimizer and how prototypes enter (as given, or scaled to unit length with cosine scoring).
#ifndef OPENCV_ZSL_BILINEAR_RANKING_HPP
#define OPENCV_ZSL_BILINEAR_RANKING_HPP

#include "methods/compatibility_model.hpp"
#include "nn/nn_losses.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** What distinguishes one bilinear ranking method from another. */
struct BilinearRankingOptions
{
    const char* name;        //!< method name in the model file and in messages
    nn::HingeType loss;      //!< ranking loss on the scores of one sample with every seen class
    float defaultMargin;     //!< margin used when Params::margin <= 0
    bool adam;               //!< Adam (DeViSE) instead of plain SGD without momentum (ALE, SJE: as in the papers)
    bool unitPrototypes;     //!< train on L2-normalised prototypes and score by cosine (DeViSE)
};

/** Bilinear ranking model on the training engine (nn_*.hpp): W (D x A) starts at N(0, (1e-3 / sqrt(D))^2)
    drawn from nn::Rng(seed), then SGD or Adam with Params::learningRate and Params::weightDecay on
    minibatches of Params::batchSize. With Params::validationFraction > 0, the number of epochs is chosen on
    held-out seen classes (early stopping, Params::patience) and the model is then retrained on all seen
    classes for that many epochs. */
class BilinearRankingModel : public CompatibilityModel
{
public:
    BilinearRankingModel(const ZeroShotClassifier::Params& p, const BilinearRankingOptions& options);

    void train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback& progress) CV_OVERRIDE;

    RowMatrixXf scores(const RowRefXf& X, const RowMatrixXf& P) const CV_OVERRIDE;
    RowMatrixXf embed(const RowRefXf& X) const CV_OVERRIDE;
    bool linearInFeatures() const CV_OVERRIDE { return true; }
    int featureDim() const CV_OVERRIDE { return (int)W_.rows(); }
    int prototypeDim() const CV_OVERRIDE { return (int)W_.cols(); }
    void write(FileStorage& fs) const CV_OVERRIDE;
    void read(const FileNode& node) CV_OVERRIDE;

    const RowMatrixXf& weights() const { return W_; }

private:
    ZeroShotClassifier::Params params_;
    BilinearRankingOptions options_;
    float margin_;
    RowMatrixXf W_; // D x A
};

}}} // namespace cv::zsl::detail

#endif
