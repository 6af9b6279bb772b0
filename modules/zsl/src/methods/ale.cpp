// This file is part of the opencv_zsl module (cv::zsl).
// ALE: Akata, Perronnin, Harchaoui & Schmid, "Label-Embedding for Image Classification", TPAMI 2016.
#include "precomp.hpp"
#include "methods/bilinear_ranking.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Bilinear F(x, s) = x^T W s with the weighted approximate ranking loss
        l(x, y) = beta(r) / r * sum_{j : v_j > 0} v_j,   v_j = Delta + F(x, s_j) - F(x, s_y)   (j != y)
    where r is the number of margin-violating classes and beta(r) = sum_{i=1..r} 1/i, so a true class
    ranked far down costs more than one just below the top (the WARP weighting of Weston et al.).
    With at most a few hundred classes every score comes out of the batch GEMM anyway, so r is counted
    exactly instead of estimated by WARP's sampling. */
class AleModel CV_FINAL : public BilinearRankingModel
{
public:
    explicit AleModel(const ZeroShotClassifier::Params& p)
        : BilinearRankingModel(p, {"ALE", nn::HINGE_RANK_WEIGHTED, 1.f, /*adam*/ false, /*unitPrototypes*/ false}) {}
    int method() const CV_OVERRIDE { return ZeroShotClassifier::ALE; }
};

std::shared_ptr<CompatibilityModel> createAleModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<AleModel>(params);
}

}}} // namespace cv::zsl::detail
