// This file is part of the opencv_zsl module (cv::zsl).
// Internal: the statistics shared by the closed-form methods (ESZSL, SAE).
#ifndef OPENCV_ZSL_CLOSED_FORM_HPP
#define OPENCV_ZSL_CLOSED_FORM_HPP

#include "eigen_bridge.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Gram matrix X^T X (D x D) of N x D features, symmetric, in double.
    Formed in float by a symmetric rank-N update (half the flops of a GEMM; the only O(N D^2) step of
    training), then widened so that the O(D^3) solves that follow run in double. */
Eigen::MatrixXd gramMatrix(const RowMatrixXf& X);

/** Per-class sums of the feature rows, C x D: row c is the sum of the rows of X labelled c.
    Computed as Y^T X with a sparse one-hot Y, so the cost is one pass over X. */
RowMatrixXf classSums(const RowMatrixXf& X, const std::vector<int>& y, int numClasses);

/** Number of samples of each class (C entries). */
Eigen::VectorXd classCounts(const std::vector<int>& y, int numClasses);

}}} // namespace cv::zsl::detail

#endif
