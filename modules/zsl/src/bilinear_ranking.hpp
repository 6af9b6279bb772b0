// This file is part of the opencv_zsl module (cv::zsl).
// Internal: bilinear compatibility F(x, s) = x^T W s trained by minibatch SGD on a hinge ranking loss,
// the common part of ALE (ale.cpp) and SJE (sje.cpp), which differ only in the loss.
#ifndef OPENCV_ZSL_BILINEAR_RANKING_HPP
#define OPENCV_ZSL_BILINEAR_RANKING_HPP

#include "compatibility_model.hpp"
#include "nn_losses.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Bilinear ranking model on the training engine (nn_*.hpp): W (D x A) starts at N(0, (1e-3 / sqrt(D))^2)
    drawn from nn::Rng(seed), then plain SGD (no momentum, as in the papers) with Params::learningRate and
    Params::weightDecay on minibatches of Params::batchSize. With Params::validationFraction > 0, the number
    of epochs is chosen on held-out seen classes (early stopping, Params::patience) and the model is then
    retrained on all seen classes for that many epochs. */
class BilinearRankingModel : public CompatibilityModel
{
public:
    BilinearRankingModel(const ZeroShotClassifier::Params& p, nn::HingeType loss, const char* name);

    void train(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback& progress) CV_OVERRIDE;

    RowMatrixXf scores(const RowMatrixXf& X, const RowMatrixXf& P) const CV_OVERRIDE;
    RowMatrixXf embed(const RowMatrixXf& X) const CV_OVERRIDE;
    int featureDim() const CV_OVERRIDE { return (int)W_.rows(); }
    int prototypeDim() const CV_OVERRIDE { return (int)W_.cols(); }
    void write(FileStorage& fs) const CV_OVERRIDE;
    void read(const FileNode& node) CV_OVERRIDE;

    const RowMatrixXf& weights() const { return W_; }

private:
    ZeroShotClassifier::Params params_;
    nn::HingeType loss_;
    const char* name_;
    float margin_;
    RowMatrixXf W_; // D x A
};

}}} // namespace cv::zsl::detail

#endif
