// This file is part of the opencv_zsl module (cv::zsl).
// DeViSE: Frome, Corrado, Shlens, Bengio, Dean, Ranzato & Mikolov, "DeViSE: A Deep Visual-Semantic
// Embedding Model", NIPS 2013.
#include "precomp.hpp"
#include "methods/bilinear_ranking.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Linear map M (D x A) from visual features to the semantic (word vector) space, trained with the
    hinge rank loss of the paper on unit-length label vectors t,
        l(x, y) = sum_{j != y} max(0, margin - t_y . Mx + t_j . Mx),   margin 0.1 by default,
    by Adam on minibatches. Prediction ranks candidates by cos(Mx, t_j); embed() returns Mx. */
class DeviseModel CV_FINAL : public BilinearRankingModel
{
public:
    explicit DeviseModel(const ZeroShotClassifier::Params& p)
        : BilinearRankingModel(p, {"DEVISE", nn::HINGE_SUM, 0.1f, /*adam*/ true, /*unitPrototypes*/ true}) {}
    int method() const CV_OVERRIDE { return ZeroShotClassifier::DEVISE; }
};

std::shared_ptr<CompatibilityModel> createDeviseModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<DeviseModel>(params);
}

}}} // namespace cv::zsl::detail
