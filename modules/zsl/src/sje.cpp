// This file is part of the opencv_zsl module (cv::zsl).
// SJE: Akata, Reed, Walter, Lee & Schiele, "Evaluation of Output Embeddings for Fine-Grained Image
// Classification", CVPR 2015 (structured joint embedding).
#include "precomp.hpp"
#include "bilinear_ranking.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Bilinear F(x, s) = x^T W s with the structured SVM loss
        l(x, y) = max(0, max_j [Delta(y, j) + F(x, s_j)] - F(x, s_y)),   Delta(y, j) = margin [j != y]:
    each SGD step moves only the most violating class away from the sample and the true class towards it. */
class SjeModel CV_FINAL : public BilinearRankingModel
{
public:
    explicit SjeModel(const ZeroShotClassifier::Params& p) : BilinearRankingModel(p) {}

    int method() const CV_OVERRIDE { return ZeroShotClassifier::SJE; }

    float sampleLoss(const float* f, int numClasses, int y, float margin, float* coef) const CV_OVERRIDE
    {
        // Ties go to the lowest index so that training never depends on evaluation order.
        int worst = -1;
        float worstValue = 0;
        for (int j = 0; j < numClasses; j++)
        {
            const float v = j == y ? 0.f : margin + f[j] - f[y];
            if (worst < 0 || v > worstValue)
            {
                worst = j;
                worstValue = v;
            }
        }
        if (worst == y || worstValue <= 0)
            return 0.f;
        coef[worst] = 1.f;
        coef[y] = -1.f;
        return worstValue;
    }

protected:
    const char* name() const CV_OVERRIDE { return "SJE"; }
};

std::shared_ptr<CompatibilityModel> createSjeModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<SjeModel>(params);
}

}}} // namespace cv::zsl::detail
