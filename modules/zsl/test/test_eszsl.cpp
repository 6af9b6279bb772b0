// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <Eigen/Dense>

namespace opencv_test { namespace {

using namespace cv::zsl;
using zsltest::makeSyntheticProblem;

using zsltest::learnedMatrix;

TEST(ZSL_ESZSL, unseenAccuracyOnSyntheticProblem)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    ZeroShotClassifier::Params params;
    params.method = ZeroShotClassifier::ESZSL;
    params.eszslGamma = 1e-2;
    params.eszslLambda = 1e-2;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    Mat labels, scores;
    zsl->predict(p.testUnseenX, labels, scores, 1);
    const double acc = zsltest::perClassTop1(labels, p.testUnseenY, p.seen.size());
    EXPECT_GT(acc, 0.9);
}

TEST(ZSL_ESZSL, weightsEqualDirectSolveOfTheClosedForm)
{
    zsltest::SyntheticOptions o;
    o.featureDim = 24;
    o.attributeDim = 10;
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    ZeroShotClassifier::Params params;
    params.eszslGamma = 0.5;
    params.eszslLambda = 2.0;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(p.trainX, p.trainY, p.seen);
    Mat V = learnedMatrix(zsl, "V");

    // Reference in double precision, straight from the paper's formula with an explicit Y in {-1, 1}.
    using MatD = Eigen::MatrixXd;
    const int n = p.trainX.rows, d = p.trainX.cols, c = p.seen.size(), a = p.seen.dims();
    MatD X(n, d), S(c, a), Y = MatD::Constant(n, c, -1.0);
    for (int i = 0; i < n; i++)
    {
        for (int j = 0; j < d; j++)
            X(i, j) = p.trainX.at<float>(i, j);
        Y(i, p.trainY.at<int>(i)) = 1.0;
    }
    for (int i = 0; i < c; i++)
        for (int j = 0; j < a; j++)
            S(i, j) = p.seen.vectors.at<float>(i, j);
    MatD left = X.transpose() * X + 0.5 * MatD::Identity(d, d);
    MatD right = S.transpose() * S + 2.0 * MatD::Identity(a, a);
    MatD Vref = left.inverse() * X.transpose() * Y * S * right.inverse();

    ASSERT_EQ(V.rows, d);
    ASSERT_EQ(V.cols, a);
    MatD Vgot(d, a);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < a; j++)
            Vgot(i, j) = V.at<float>(i, j);
    EXPECT_LT((Vgot - Vref).norm() / Vref.norm(), 1e-4);
}

}} // namespace
