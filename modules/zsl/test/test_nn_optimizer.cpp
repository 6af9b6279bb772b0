// This file is part of the opencv_zsl module (cv::zsl).
// Training engine: Adam and SGD against hand-written reference updates.
#include "test_precomp.hpp"
#include "test_nn_common.hpp"
#include "nn/optimizer.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl::detail;
using namespace cv::zsl::detail::nn;
using zsltest::randomMatrix;

TEST(ZSL_NN_Optimizer, adamMatchesReferenceUpdatesWithDecayOnWeightsOnly)
{
    Rng rng(21);
    Parameter w, b;
    w.value = randomMatrix(3, 4, rng);
    b.value = randomMatrix(1, 4, rng);
    b.decay = false;
    const double lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    Adam adam({&w, &b}, lr, wd, b1, b2, eps);
    // Reference in double.
    Eigen::MatrixXd wv = w.value.cast<double>(), bv = b.value.cast<double>();
    Eigen::MatrixXd mw = Eigen::MatrixXd::Zero(3, 4), vw = mw, mb = Eigen::MatrixXd::Zero(1, 4), vb = mb;
    for (int t = 1; t <= 5; t++)
    {
        w.grad = randomMatrix(3, 4, rng);
        b.grad = randomMatrix(1, 4, rng);
        Eigen::MatrixXd gw = w.grad.cast<double>() + wd * wv, gb = b.grad.cast<double>();
        mw = b1 * mw + (1 - b1) * gw;
        vw = b2 * vw + (1 - b2) * gw.cwiseAbs2();
        mb = b1 * mb + (1 - b1) * gb;
        vb = b2 * vb + (1 - b2) * gb.cwiseAbs2();
        const double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
        wv.array() -= lr * (mw.array() / c1) / ((vw.array() / c2).sqrt() + eps);
        bv.array() -= lr * (mb.array() / c1) / ((vb.array() / c2).sqrt() + eps);
        adam.step();
        EXPECT_LT((w.value.cast<double>() - wv).norm(), 1e-5) << t;
        EXPECT_LT((b.value.cast<double>() - bv).norm(), 1e-5) << t;
    }
}

TEST(ZSL_NN_Optimizer, sgdMomentumMatchesReference)
{
    Rng rng(22);
    Parameter w;
    w.value = randomMatrix(2, 3, rng);
    const double lr = 0.1, mom = 0.8, wd = 0.01;
    Sgd sgd({&w}, lr, mom, wd);
    Eigen::MatrixXd wv = w.value.cast<double>(), vel = Eigen::MatrixXd::Zero(2, 3);
    for (int t = 0; t < 4; t++)
    {
        w.grad = randomMatrix(2, 3, rng);
        Eigen::MatrixXd g = w.grad.cast<double>() + wd * wv;
        vel = mom * vel + g;
        wv -= lr * vel;
        sgd.step();
        EXPECT_LT((w.value.cast<double>() - wv).norm(), 1e-6) << t;
    }
}

TEST(ZSL_NN_Optimizer, bothMinimiseAQuadratic)
{
    for (int kind = 0; kind < 2; kind++)
    {
        Rng rng(23);
        Parameter w;
        w.value = randomMatrix(4, 4, rng, 3.f);
        RowMatrixXf target = randomMatrix(4, 4, rng);
        std::unique_ptr<Optimizer> opt;
        if (kind == 0)
            opt.reset(new Adam({&w}, 0.05));
        else
            opt.reset(new Sgd({&w}, 0.05, 0.9));
        for (int it = 0; it < 500; it++)
        {
            w.grad = 2.f * (w.value - target);
            opt->step();
        }
        EXPECT_LT((w.value - target).norm(), 1e-2) << kind;
    }
}

TEST(ZSL_NN_Optimizer, badHyperParametersThrow)
{
    Parameter w;
    w.value = RowMatrixXf::Zero(1, 1);
    EXPECT_THROW(Adam({&w}, 0.0), cv::Exception);
    EXPECT_THROW(Adam({&w}, 1e-3, -1.0), cv::Exception);
    EXPECT_THROW(Adam({&w}, 1e-3, 0, 1.0), cv::Exception);
    EXPECT_THROW(Sgd({&w}, std::nan(""), 0.9), cv::Exception);
    EXPECT_THROW(Sgd({&w}, 0.1, 1.0), cv::Exception);
    Adam ok({&w}, 1e-3);
    EXPECT_THROW(ok.setLearningRate(-1), cv::Exception);
}

}} // namespace
