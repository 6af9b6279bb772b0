// This file is part of the opencv_zsl module (cv::zsl).
// Helpers of the training-engine tests: central finite differences on float parameters.
#ifndef OPENCV_ZSL_TEST_NN_COMMON_HPP
#define OPENCV_ZSL_TEST_NN_COMMON_HPP

#include "eigen_bridge.hpp"
#include "nn/nn_layers.hpp"
#include <functional>

namespace opencv_test {
namespace zsltest {

using cv::zsl::detail::RowMatrixXf;

/** Random matrix with entries uniform in +-scale, away from 0 by at least `gap` (keeps finite
    differences off the kinks of ReLU-like functions). */
inline RowMatrixXf randomMatrix(int rows, int cols, cv::zsl::detail::nn::Rng& rng, float scale = 1.f, float gap = 0.f)
{
    RowMatrixXf m(rows, cols);
    for (int i = 0; i < m.size(); i++)
    {
        float u = 2.f * cv::zsl::detail::nn::uniform01(rng) - 1.f;
        float v = gap + (scale - gap) * std::abs(u);
        m.data()[i] = u < 0 ? -v : v;
    }
    return m;
}

/** Relative error ||numeric - analytic|| / max(||numeric||, ||analytic||, 1e-6) of the gradient of
    loss() w.r.t. `param`, numeric by central differences of step h on at most maxEntries entries
    (spread evenly). loss() must read `param` afresh on every call. */
inline double gradientError(RowMatrixXf& param, const RowMatrixXf& analytic, const std::function<double()>& loss,
                            float h = 1e-3f, int maxEntries = 300)
{
    EXPECT_EQ(param.rows(), analytic.rows());
    EXPECT_EQ(param.cols(), analytic.cols());
    const Eigen::Index n = param.size();
    const Eigen::Index stride = std::max<Eigen::Index>(1, n / maxEntries);
    double diff = 0, numNorm = 0, anaNorm = 0;
    for (Eigen::Index i = 0; i < n; i += stride)
    {
        float& p = param.data()[i];
        const float orig = p;
        p = orig + h;
        const double plus = loss();
        p = orig - h;
        const double minus = loss();
        p = orig;
        const double numeric = (plus - minus) / (2.0 * h);
        const double a = analytic.data()[i];
        diff += (numeric - a) * (numeric - a);
        numNorm += numeric * numeric;
        anaNorm += a * a;
    }
    return std::sqrt(diff) / std::max(std::sqrt(std::max(numNorm, anaNorm)), 1e-6);
}

}} // namespace opencv_test::zsltest

#endif
