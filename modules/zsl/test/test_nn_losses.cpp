// This file is part of the opencv_zsl module (cv::zsl).
// Training engine: losses against finite differences and known values.
#include "test_precomp.hpp"
#include "test_nn_common.hpp"
#include "nn/nn_losses.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl::detail;
using namespace cv::zsl::detail::nn;
using zsltest::randomMatrix;
using zsltest::gradientError;

static std::vector<int> randomLabels(int n, int c, Rng& rng)
{
    std::vector<int> y(n);
    for (int i = 0; i < n; i++)
        y[i] = (int)(rng() % (uint64)c);
    return y;
}

TEST(ZSL_NN_Losses, mseValueAndGradient)
{
    Rng rng(11);
    RowMatrixXf p = randomMatrix(6, 4, rng), t = randomMatrix(6, 4, rng), g;
    const double loss = mseLoss(p, t, &g);
    EXPECT_NEAR(loss, (p - t).cast<double>().squaredNorm() / 24.0, 1e-6);
    EXPECT_LT(gradientError(p, g, [&]() { return mseLoss(p, t, nullptr); }), 1e-3);
    EXPECT_THROW(mseLoss(p, randomMatrix(5, 4, rng), nullptr), cv::Exception);
}

TEST(ZSL_NN_Losses, cosineValueAndGradient)
{
    Rng rng(12);
    RowMatrixXf p = randomMatrix(6, 5, rng), t = randomMatrix(6, 5, rng), g;
    const double loss = cosineLoss(p, t, &g);
    double ref = 0;
    for (int i = 0; i < 6; i++)
        ref += 1.0 - p.row(i).cast<double>().dot(t.row(i).cast<double>()) /
                     (p.row(i).cast<double>().norm() * t.row(i).cast<double>().norm());
    EXPECT_NEAR(loss, ref / 6, 1e-6);
    EXPECT_LT(gradientError(p, g, [&]() { return cosineLoss(p, t, nullptr); }), 1e-3);
    // Scale invariance: the gradient is orthogonal to the prediction.
    for (int i = 0; i < 6; i++)
        EXPECT_NEAR(g.row(i).dot(p.row(i)), 0.f, 1e-6f);
    // Identical directions: zero loss.
    EXPECT_NEAR(cosineLoss(t * 3.f, t, nullptr), 0.0, 1e-6);
}

TEST(ZSL_NN_Losses, softmaxCrossEntropyValueAndGradient)
{
    Rng rng(13);
    RowMatrixXf z = randomMatrix(7, 5, rng, 3.f), g;
    std::vector<int> y = randomLabels(7, 5, rng);
    const double loss = softmaxCrossEntropy(z, y, &g);
    double ref = 0;
    for (int i = 0; i < 7; i++)
    {
        Eigen::RowVectorXd r = z.row(i).cast<double>();
        ref += std::log(r.array().exp().sum()) - r[y[i]];
    }
    EXPECT_NEAR(loss, ref / 7, 1e-5);
    EXPECT_LT(gradientError(z, g, [&]() { return softmaxCrossEntropy(z, y, nullptr); }), 1e-3);
    // Large logits stay finite (stable log-sum-exp).
    RowMatrixXf big = z * 1000.f;
    EXPECT_TRUE(std::isfinite(softmaxCrossEntropy(big, y, &g)));
    EXPECT_TRUE(g.allFinite());
    std::vector<int> bad = y;
    bad[0] = 5;
    EXPECT_THROW(softmaxCrossEntropy(z, bad, nullptr), cv::Exception);
    EXPECT_THROW(softmaxCrossEntropy(z, std::vector<int>(3, 0), nullptr), cv::Exception);
}

TEST(ZSL_NN_Losses, hingeRankLossesValueAndGradient)
{
    const float margin = 0.5f;
    for (HingeType type : {HINGE_SUM, HINGE_MAX, HINGE_RANK_WEIGHTED})
    {
        Rng rng(14);
        RowMatrixXf s = randomMatrix(8, 6, rng), g;
        std::vector<int> y = randomLabels(8, 6, rng);
        const double loss = hingeRankLoss(s, y, margin, type, &g);
        // Reference in double with explicit loops over classes.
        double ref = 0;
        for (int i = 0; i < 8; i++)
        {
            double sum = 0, mx = 0;
            int r = 0;
            for (int j = 0; j < 6; j++)
            {
                if (j == y[i])
                    continue;
                const double v = std::max(0.0, (double)margin + s(i, j) - s(i, y[i]));
                sum += v;
                mx = std::max(mx, v);
                r += v > 0;
            }
            double h = 0;
            for (int k = 1; k <= r; k++)
                h += 1.0 / k;
            ref += type == HINGE_SUM ? sum : type == HINGE_MAX ? mx : (r ? h / r * sum : 0.0);
        }
        EXPECT_NEAR(loss, ref / 8, 1e-5) << type;
        EXPECT_GT(loss, 0.0);
        EXPECT_LT(gradientError(s, g, [&]() { return hingeRankLoss(s, y, margin, type, nullptr); }), 2e-3) << type;
    }
}

TEST(ZSL_NN_Losses, hingeIsZeroWhenTheTrueClassWinsByTheMargin)
{
    RowMatrixXf s(2, 3);
    s << 2.f, 0.f, 0.5f,
         0.f, 0.f, 3.f;
    std::vector<int> y = {0, 2};
    RowMatrixXf g;
    EXPECT_EQ(hingeRankLoss(s, y, 1.f, HINGE_SUM, &g), 0.0);
    EXPECT_EQ(g.norm(), 0.f);
    EXPECT_THROW(hingeRankLoss(s, y, -1.f, HINGE_SUM, nullptr), cv::Exception);
}

TEST(ZSL_NN_Losses, gaussianKlValueAndGradients)
{
    Rng rng(15);
    RowMatrixXf mu = randomMatrix(5, 3, rng), lv = randomMatrix(5, 3, rng), gm, gl;
    const double kl = gaussianKl(mu, lv, &gm, &gl);
    double ref = 0;
    for (int i = 0; i < mu.size(); i++)
    {
        const double m = mu.data()[i], l = lv.data()[i];
        ref += 0.5 * (m * m + std::exp(l) - 1 - l);
    }
    EXPECT_NEAR(kl, ref / 5, 1e-5);
    EXPECT_LT(gradientError(mu, gm, [&]() { return gaussianKl(mu, lv, nullptr, nullptr); }), 1e-3);
    EXPECT_LT(gradientError(lv, gl, [&]() { return gaussianKl(mu, lv, nullptr, nullptr); }), 1e-3);
    EXPECT_NEAR(gaussianKl(RowMatrixXf::Zero(2, 2), RowMatrixXf::Zero(2, 2), nullptr, nullptr), 0.0, 1e-7);
}

TEST(ZSL_NN_Losses, l1ValueAndGradient)
{
    Rng rng(21);
    RowMatrixXf p = randomMatrix(6, 4, rng), t = randomMatrix(6, 4, rng), g;
    const double loss = l1Loss(p, t, &g);
    EXPECT_NEAR(loss, (p - t).cast<double>().cwiseAbs().sum() / 6.0, 1e-6); // per-sample sum, mean over rows
    EXPECT_LT(gradientError(p, g, [&]() { return l1Loss(p, t, nullptr); }), 1e-3);
    EXPECT_EQ(l1Loss(t, t, &g), 0.0);
    EXPECT_EQ(g.cwiseAbs().maxCoeff(), 0.f); // the tie has gradient 0
    EXPECT_THROW(l1Loss(p, randomMatrix(6, 3, rng), nullptr), cv::Exception);
}

TEST(ZSL_NN_Losses, gaussianWassersteinValueAndGradient)
{
    Rng rng(22);
    RowMatrixXf m1 = randomMatrix(5, 3, rng), l1 = randomMatrix(5, 3, rng), m2 = randomMatrix(5, 3, rng), l2 = randomMatrix(5, 3, rng);
    RowMatrixXf gm1, gl1, gm2, gl2;
    const double w = gaussianWasserstein(m1, l1, m2, l2, &gm1, &gl1, &gm2, &gl2);
    // Closed form of W2 between diagonal Gaussians, row by row.
    double ref = 0;
    for (int i = 0; i < 5; i++)
    {
        double q = 0;
        for (int j = 0; j < 3; j++)
        {
            const double dm = (double)m1(i, j) - m2(i, j), ds = std::exp(0.5 * l1(i, j)) - std::exp(0.5 * l2(i, j));
            q += dm * dm + ds * ds;
        }
        ref += std::sqrt(q) / 5;
    }
    EXPECT_NEAR(w, ref, 1e-5);
    auto loss = [&]() { return gaussianWasserstein(m1, l1, m2, l2, nullptr, nullptr, nullptr, nullptr); };
    EXPECT_LT(gradientError(m1, gm1, loss), 1e-3);
    EXPECT_LT(gradientError(l1, gl1, loss), 1e-3);
    EXPECT_LT(gradientError(m2, gm2, loss), 1e-3);
    EXPECT_LT(gradientError(l2, gl2, loss), 1e-3);
    // Identical distributions: distance 0, gradient 0 (not NaN).
    EXPECT_EQ(gaussianWasserstein(m1, l1, m1, l1, &gm1, &gl1, &gm2, &gl2), 0.0);
    EXPECT_TRUE(gm1.allFinite() && gl1.allFinite());
    EXPECT_EQ(gm1.cwiseAbs().maxCoeff(), 0.f);
    // Equal variances: the distance between the means.
    EXPECT_NEAR(gaussianWasserstein(m1, l1, m2, l1, nullptr, nullptr, nullptr, nullptr),
                (m1 - m2).rowwise().norm().mean(), 1e-5);
    EXPECT_THROW(gaussianWasserstein(m1, l1, m2, randomMatrix(5, 2, rng), nullptr, nullptr, nullptr, nullptr), cv::Exception);
}

}} // namespace
