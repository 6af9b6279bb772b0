// This file is part of the opencv_zsl module (cv::zsl).
// Internal: the WGAN-GP critic pieces of f-CLSWGAN (Xian et al., "Feature Generating Networks for
// Zero-Shot Learning", CVPR 2018), exposed for finite-difference tests.
#ifndef OPENCV_ZSL_F_CLSWGAN_HPP
#define OPENCV_ZSL_F_CLSWGAN_HPP

#include "nn/nn_layers.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Conditional critic D([x a]) = w2^T phi(W1^T [x a] + b1) + b2 with phi a LeakyReLU: the one-hidden-layer
    critic of the paper, for which the gradient penalty's double backward has a closed form. */
nn::Sequential makeCritic(int featureDim, int prototypeDim, int hidden, float slope, nn::Rng& rng);

/** Gradient penalty of Gulrajani et al. (2017) on the feature part of the critic's input:
    P = mean_i (||d D / d x (u_i)|| - 1)^2 for the rows u_i = [x_i a_i] of `inputs` (featureDim feature
    columns first). With `accumulate`, adds lambda * dP/d(parameters) to the critic's W1 and W2 gradients
    (phi' is piecewise constant, so b1, b2 and the prototype rows of W1 get no gradient). Returns P.
    `inputGradient`, when not null, receives d D / d x (rows x featureDim). */
double gradientPenalty(nn::Sequential& critic, int featureDim, const RowMatrixXf& inputs, float lambda, bool accumulate,
                       RowMatrixXf* inputGradient = nullptr);

/** The rows of every critic minibatch after a generator step's first: n indices drawn uniformly from [0, N)
    with replacement, in order (F_CLSWGAN's and TF_VAEGAN's critic iterations). Returns rows.data(). */
const int* criticRows(int n, int N, nn::Rng& rng, std::vector<int>& rows);

/** One WGAN-GP critic minibatch (the gradients, no optimizer step; also TF_VAEGAN's): loss
    mean D([fake a]) - mean D([real a]) + lambda GP on interpolates alpha real + (1 - alpha) fake, alpha ~ U[0, 1)
    per row (drawn from rng), written into the critic's gradients. Returns the loss. */
double wganCriticStep(nn::Sequential& critic, const RowMatrixXf& real, const RowMatrixXf& fake,
                      const RowMatrixXf& prototypes, float lambda, nn::Rng& rng);

}}} // namespace cv::zsl::detail

#endif
