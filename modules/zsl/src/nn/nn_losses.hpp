// This file is part of the opencv_zsl module (cv::zsl).
// Internal training engine, part 2: losses.
//
// Interface contract (stable): every loss returns the MEAN over the rows of its input batch and, when
// `grad` is not null, writes d(mean loss)/d(input) with the input's shape (resized as needed).
// Labels are one class index per row, in [0, number of columns of the score matrix).
// All of them are batched Eigen expressions (no per-sample work beyond O(rows x cols) scans).
#ifndef OPENCV_ZSL_NN_LOSSES_HPP
#define OPENCV_ZSL_NN_LOSSES_HPP

#include "eigen_bridge.hpp"
#include <vector>

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

/** Mean squared error over all elements: sum((pred - target)^2) / (rows * cols) (PyTorch's MSELoss). */
double mseLoss(const RowMatrixXf& pred, const RowMatrixXf& target, RowMatrixXf* grad);

/** Cosine loss: mean over rows of 1 - cos(pred_i, target_i). A zero row has cosine 0 (norms floored at 1e-8). */
double cosineLoss(const RowMatrixXf& pred, const RowMatrixXf& target, RowMatrixXf* grad);

/** Softmax cross-entropy of logits (rows x C) against labels: mean of -log softmax(logits_i)[y_i]. */
double softmaxCrossEntropy(const RowMatrixXf& logits, const std::vector<int>& labels, RowMatrixXf* grad);

/** Row-wise log-softmax (numerically stable). */
RowMatrixXf logSoftmax(const RowMatrixXf& logits);

/** Hinge ranking losses on compatibility scores (rows x C, higher = better) with margin m.
    With v_ij = max(0, m + s_ij - s_iy) for j != y:
    - HINGE_SUM:   sum_j v_ij                                        (DeViSE, Frome et al. 2013)
    - HINGE_MAX:   max_j v_ij, i.e. structured SVM with Delta = m    (SJE, Akata et al. 2015)
    - HINGE_RANK_WEIGHTED: (beta(r) / r) sum_j v_ij where r = #{j : v_ij > 0} and
      beta(r) = sum_{k=1..r} 1/k                                     (ALE / WSABIE weighting, Akata et al. 2016)
    The per-row losses are averaged over rows. Ties of the max go to the lowest class index. */
enum HingeType
{
    HINGE_SUM = 0,
    HINGE_MAX = 1,
    HINGE_RANK_WEIGHTED = 2
};
double hingeRankLoss(const RowMatrixXf& scores, const std::vector<int>& labels, float margin, HingeType type,
                     RowMatrixXf* grad);

/** KL(N(mu, exp(logvar)) || N(0, I)), summed over columns, averaged over rows:
    mean_i sum_j -0.5 (1 + logvar - mu^2 - exp(logvar)). Gradients w.r.t. mu and logvar. */
double gaussianKl(const RowMatrixXf& mu, const RowMatrixXf& logvar, RowMatrixXf* gradMu, RowMatrixXf* gradLogvar);

/** L1 reconstruction: mean over rows of sum_j |pred_ij - target_ij| (the per-sample sum of CADA-VAE,
    Schoenfeld et al. 2019). The gradient at a tie (pred == target) is 0. */
double l1Loss(const RowMatrixXf& pred, const RowMatrixXf& target, RowMatrixXf* grad);

/** 2-Wasserstein distance between diagonal Gaussians N(mu1, exp(logvar1)) and N(mu2, exp(logvar2)),
    row by row, averaged over rows: mean_i sqrt(|mu1_i - mu2_i|^2 + |sigma1_i - sigma2_i|^2) with
    sigma = exp(logvar / 2) (CADA-VAE's distribution alignment). Gradients w.r.t. all four inputs
    (any may be null); a row at distance 0 has gradient 0. */
double gaussianWasserstein(const RowMatrixXf& mu1, const RowMatrixXf& logvar1, const RowMatrixXf& mu2,
                           const RowMatrixXf& logvar2, RowMatrixXf* gradMu1, RowMatrixXf* gradLogvar1,
                           RowMatrixXf* gradMu2, RowMatrixXf* gradLogvar2);

/** Checks that labels has `rows` entries, each in [0, cols); `what` names the caller in the message. */
void checkLossLabels(const std::vector<int>& labels, Eigen::Index rows, Eigen::Index cols, const char* what);

}}}} // namespace cv::zsl::detail::nn

#endif
