// This file is part of the opencv_zsl module (cv::zsl).
// SJE: Akata, Reed, Walter, Lee & Schiele, "Evaluation of Output Embeddings for Fine-Grained Image
// Classification", CVPR 2015 (structured joint embedding).
#include "precomp.hpp"
#include "methods/bilinear_ranking.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Bilinear F(x, s) = x^T W s with the structured SVM loss
        l(x, y) = max(0, max_j [Delta(y, j) + F(x, s_j)] - F(x, s_y)),   Delta(y, j) = margin [j != y]:
    each SGD step moves only the most violating class away from the sample and the true class towards it. */
class SjeModel CV_FINAL : public BilinearRankingModel
{
public:
    explicit SjeModel(const ZeroShotClassifier::Params& p)
        : BilinearRankingModel(p, {"SJE", nn::HINGE_MAX, 1.f, /*adam*/ false, /*unitPrototypes*/ false}) {}
    int method() const CV_OVERRIDE { return ZeroShotClassifier::SJE; }
};

std::shared_ptr<CompatibilityModel> createSjeModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<SjeModel>(params);
}

}}} // namespace cv::zsl::detail
