// This file is part of the opencv_zsl module (cv::zsl).
// F_CLSWGAN (Xian et al., CVPR 2018): the gradient penalty's double backward against finite
// differences, GZSL quality against a compatibility baseline, determinism, save/load, progress, bad input.
#include "test_precomp.hpp"
#include "test_nn_common.hpp"
#include "methods/f_clswgan.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl;
using cv::zsl::detail::RowMatrixXf;
namespace nn = cv::zsl::detail::nn;

static ZeroShotClassifier::Params ganParams()
{
    ZeroShotClassifier::Params p;
    p.method = ZeroShotClassifier::F_CLSWGAN;
    p.hiddenSizes = {64};
    p.latentDim = 8;
    p.syntheticPerClass = 100;
    p.epochs = 30;
    p.batchSize = 32;
    p.learningRate = 1e-3;
    return p;
}

TEST(ZSL_FClswgan, gradientPenaltyDoubleBackwardMatchesFiniteDifferences)
{
    nn::Rng rng(3);
    const int d = 6, a = 4, n = 5;
    nn::Sequential critic = cv::zsl::detail::makeCritic(d, a, 7, 0.2f, rng);
    const RowMatrixXf u = zsltest::randomMatrix(n, d + a, rng, 1.f);
    // d D / d x against finite differences of the critic's output.
    RowMatrixXf g;
    cv::zsl::detail::gradientPenalty(critic, d, u, 1.f, false, &g);
    for (int i = 0; i < n; i++)
    {
        RowMatrixXf x = u.row(i);
        const RowMatrixXf gi = g.row(i);
        RowMatrixXf xf = x.leftCols(d);
        auto out = [&]() {
            RowMatrixXf in(1, d + a);
            in << xf, x.rightCols(a);
            return (double)critic.infer(in)(0, 0);
        };
        EXPECT_LT(zsltest::gradientError(xf, gi, out, 1e-3f), 1e-3) << "row " << i;
    }
    // dP/d(parameters): the closed-form double backward against finite differences of P.
    std::vector<nn::Parameter*> params = critic.parameters();
    for (nn::Parameter* p : params)
        p->grad.setZero(p->value.rows(), p->value.cols());
    const float lambda = 3.f;
    cv::zsl::detail::gradientPenalty(critic, d, u, lambda, true);
    ASSERT_EQ(params.size(), 4u);
    for (nn::Parameter* p : params)
    {
        SCOPED_TRACE(p->name);
        const RowMatrixXf analytic = p->grad;
        auto penalty = [&]() { return lambda * cv::zsl::detail::gradientPenalty(critic, d, u, 1.f, false); };
        EXPECT_LT(zsltest::gradientError(p->value, analytic, penalty, 1e-3f), 5e-3);
    }
    // b1, b2 and the prototype rows of W1 get no gradient from the penalty.
    EXPECT_EQ(params[1]->grad.cwiseAbs().maxCoeff(), 0.f);
    EXPECT_EQ(params[0]->grad.bottomRows(a).cwiseAbs().maxCoeff(), 0.f);
}

using zsltest::seenBiasedProblem;

TEST(ZSL_FClswgan, raisesGzslHarmonicMeanOverUncalibratedEszsl)
{
    zsltest::SyntheticProblem p = seenBiasedProblem();
    Ptr<ZeroShotClassifier> gan = ZeroShotClassifier::create(ganParams());
    gan->train(p.trainX, p.trainY, p.seen);
    const GzslAccuracy acc[2] = {zsltest::eszslBaselineGzsl(p), zsltest::uncalibratedGzsl(gan, p)};
    std::cout << cv::format("[ gan ] ESZSL s %.3f u %.3f H %.3f; F_CLSWGAN s %.3f u %.3f H %.3f", acc[0].seen, acc[0].unseen,
                            acc[0].harmonic, acc[1].seen, acc[1].unseen, acc[1].harmonic) << std::endl;
    EXPECT_GT(acc[1].harmonic, acc[0].harmonic + 0.1);
    gan->setMode(ZeroShotClassifier::MODE_ZSL);
    Mat lu, su;
    gan->predict(p.testUnseenX, lu, su, 1);
    EXPECT_GT(zsltest::perClassTop1(lu, p.testUnseenY, p.seen.size()), 0.5); // chance 0.1
}

TEST(ZSL_FClswgan, deterministicSaveLoadAndProgress)
{
    zsltest::SyntheticProblem p = seenBiasedProblem();
    ZeroShotClassifier::Params m = ganParams();
    m.epochs = 2;
    m.syntheticPerClass = 20;
    Ptr<ZeroShotClassifier> first;
    Mat scores;
    const std::vector<TrainingProgress> progress = zsltest::expectSeedDeterminism(m, p, 42, &first, &scores);
    zsltest::expectOneReportPerEpoch(progress, 2);
    const std::string path = zsltest::tempDir() + "/gan.yml.gz";
    first->save(path);
    Ptr<ZeroShotClassifier> back = ZeroShotClassifier::load(path);
    Mat b;
    back->computeScores(p.testUnseenX, b);
    EXPECT_EQ(cv::norm(scores, b, NORM_INF), 0.0);
}

TEST(ZSL_FClswgan, badInputThrows)
{
    ZeroShotClassifier::Params m = ganParams();
    m.hiddenSizes = {64, 64};
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception);
    m = ganParams();
    m.latentDim = -1;
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception);
    zsltest::SyntheticProblem p = seenBiasedProblem();
    m = ganParams();
    m.epochs = 1;
    Ptr<ZeroShotClassifier> z = ZeroShotClassifier::create(m);
    Mat bad = p.trainX.clone();
    bad.at<float>(0, 0) = std::numeric_limits<float>::infinity();
    EXPECT_THROW(z->train(bad, p.trainY, p.seen), cv::Exception);
    EXPECT_FALSE(z->isTrained());
    z->train(p.trainX, p.trainY, p.seen);
    Mat scores;
    EXPECT_THROW(z->computeScores(p.testSeenX.colRange(0, 3), scores), cv::Exception);
}

}} // namespace
