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
Eigen::MatrixXd gramMatrix(const RowRefXf& X);

/** Per-class sums of the feature rows, C x D: row c is the sum of the rows of X labelled c.
    Computed as Y^T X with a sparse one-hot Y, so the cost is one pass over X. */
RowMatrixXf classSums(const RowRefXf& X, const std::vector<int>& y, int numClasses);

/** Number of samples of each class (C entries). */
Eigen::VectorXd classCounts(const std::vector<int>& y, int numClasses);

/** Solves A Z = B in place (B becomes Z) for a symmetric A whose lower triangle is read; the lower
    triangle and diagonal of A are overwritten by its Cholesky factor, the strict upper triangle is kept.
    Returns false, leaving B unchanged, when A is not numerically positive definite. LAPACK's blocked, multi-threaded dpotrf/dpotrs when the BLAS backend carries LAPACK
    (Eigen's LLT runs its panels on one thread: 2-3x slower at D = 2048), else Eigen's LLT. */
bool solveSpdInPlace(Eigen::MatrixXd& A, Eigen::MatrixXd& B);

}}} // namespace cv::zsl::detail

#endif
