// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <Eigen/Dense>
#include "nn/nn_layers.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl;
using zsltest::makeSyntheticProblem;

using zsltest::learnedMatrix;

// Linear problem with more seen classes (40) than attribute dimensions (16): margin losses only see
// differences of seen prototypes, so with fewer seen classes than that the unseen ones are under-determined.
static zsltest::SyntheticProblem linearProblem()
{
    zsltest::SyntheticOptions o;
    o.numSeen = 40;
    o.trainPerClass = 30;
    return makeSyntheticProblem(o);
}

static ZeroShotClassifier::Params rankingParams(int method)
{
    ZeroShotClassifier::Params params;
    params.method = method;
    params.prototypeNormalization = PROTOTYPE_NORM_L2;
    params.epochs = 30;
    params.batchSize = 16;
    params.learningRate = 0.02;
    params.weightDecay = 0.1;
    params.seed = 11;
    return params;
}

static double unseenTop1(const Ptr<ZeroShotClassifier>& zsl, const zsltest::SyntheticProblem& p)
{
    zsl->setUnseenClasses(p.unseen);
    Mat labels, scores;
    zsl->predict(p.testUnseenX, labels, scores, 1);
    return zsltest::perClassTop1(labels, p.testUnseenY, p.seen.size());
}

typedef testing::TestWithParam<int> ZSL_BilinearRanking;

TEST_P(ZSL_BilinearRanking, unseenAccuracyOnSyntheticProblem)
{
    zsltest::SyntheticProblem p = linearProblem();
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(rankingParams(GetParam()));
    zsl->train(p.trainX, p.trainY, p.seen);
    EXPECT_GT(unseenTop1(zsl, p), 0.9) << methodName(GetParam());
}

// Reference: full-batch gradient descent written straight from the papers' losses, in double precision.
// With batchSize >= N the sample order cannot matter, so the module must land on the same weights.
TEST_P(ZSL_BilinearRanking, fullBatchStepsEqualReferenceGradientDescent)
{
    const int method = GetParam();
    zsltest::SyntheticOptions o;
    o.numSeen = 6;
    o.featureDim = 12;
    o.attributeDim = 5;
    o.trainPerClass = 10;
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    ZeroShotClassifier::Params params = rankingParams(method);
    params.epochs = 3;
    params.batchSize = 1000;
    params.prototypeNormalization = PROTOTYPE_NORM_NONE;
    params.learningRate = 0.01;
    params.weightDecay = 0.01;
    params.margin = 0.5;
    std::vector<double> losses;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->setProgressCallback([&](const TrainingProgress& t) { losses.push_back(t.loss); });
    zsl->train(p.trainX, p.trainY, p.seen);
    Mat W = learnedMatrix(zsl, "W");

    using MatD = Eigen::MatrixXd;
    const int n = p.trainX.rows, d = p.trainX.cols, c = p.seen.size(), a = p.seen.dims();
    // The documented start: N(0, (1e-3 / sqrt(D))^2), the first draws of the engine's generator.
    cv::zsl::detail::RowMatrixXf w0f(d, a);
    cv::zsl::detail::nn::Rng rng(params.seed);
    cv::zsl::detail::nn::fillNormal(w0f, rng, 1e-3f / std::sqrt((float)d));
    MatD X(n, d), S(c, a), Wr(d, a);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            X(i, j) = p.trainX.at<float>(i, j);
    for (int i = 0; i < c; i++)
        for (int j = 0; j < a; j++)
            S(i, j) = p.seen.vectors.at<float>(i, j);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < a; j++)
            Wr(i, j) = w0f(i, j);
    const MatD W0 = Wr;

    std::vector<double> refLosses;
    for (int epoch = 0; epoch < params.epochs; epoch++)
    {
        MatD F = X * Wr * S.transpose(), coef = MatD::Zero(n, c);
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            const int y = p.trainY.at<int>(i);
            if (method == ZeroShotClassifier::ALE)
            {
                int r = 0;
                double sum = 0;
                for (int j = 0; j < c; j++)
                    if (j != y && params.margin + F(i, j) - F(i, y) > 0)
                        r++, sum += params.margin + F(i, j) - F(i, y);
                double beta = 0;
                for (int k = 1; k <= r; k++)
                    beta += 1.0 / k;
                for (int j = 0; j < c && r > 0; j++)
                    if (j != y && params.margin + F(i, j) - F(i, y) > 0)
                        coef(i, j) = beta / r, coef(i, y) -= beta / r;
                loss += r > 0 ? beta / r * sum : 0;
            }
            else
            {
                int worst = y;
                double worstValue = 0;
                for (int j = 0; j < c; j++)
                    if (j != y && params.margin + F(i, j) - F(i, y) > worstValue)
                        worst = j, worstValue = params.margin + F(i, j) - F(i, y);
                if (worst != y)
                    coef(i, worst) = 1, coef(i, y) = -1;
                loss += worstValue;
            }
        }
        refLosses.push_back(loss / n);
        Wr = Wr * (1 - params.learningRate * params.weightDecay) - params.learningRate / n * X.transpose() * coef * S;
    }

    ASSERT_EQ(W.rows, d);
    ASSERT_EQ(W.cols, a);
    MatD Wgot(d, a);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < a; j++)
            Wgot(i, j) = W.at<float>(i, j);
    EXPECT_LT((Wgot - Wr).norm() / Wr.norm(), 1e-4);
    ASSERT_EQ(losses.size(), refLosses.size());
    for (size_t e = 0; e < losses.size(); e++)
        EXPECT_NEAR(losses[e], refLosses[e], 1e-4 * std::max(1.0, refLosses[e])) << "epoch " << e + 1;
    EXPECT_GT((Wr - W0).norm(), 2 * W0.norm()); // the steps did move the weights: the comparison is not vacuous
}

TEST_P(ZSL_BilinearRanking, sameSeedGivesBitIdenticalModel)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    ZeroShotClassifier::Params params = rankingParams(GetParam());
    params.epochs = 3;
    Ptr<ZeroShotClassifier> a = ZeroShotClassifier::create(params), b = ZeroShotClassifier::create(params);
    a->train(p.trainX, p.trainY, p.seen);
    b->train(p.trainX, p.trainY, p.seen);
    Mat Wa = learnedMatrix(a, "W"), Wb = learnedMatrix(b, "W");
    EXPECT_EQ(cv::norm(Wa, Wb, NORM_INF), 0.0);
    params.seed = 12;
    Ptr<ZeroShotClassifier> other = ZeroShotClassifier::create(params);
    other->train(p.trainX, p.trainY, p.seen);
    EXPECT_GT(cv::norm(Wa, learnedMatrix(other, "W"), NORM_INF), 0.0);
}

TEST_P(ZSL_BilinearRanking, saveLoadGivesIdenticalScores)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    ZeroShotClassifier::Params params = rankingParams(GetParam());
    params.epochs = 2;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    const std::string path = zsltest::tempDir() + "/model.yml.gz";
    zsl->save(path);
    Ptr<ZeroShotClassifier> back = ZeroShotClassifier::load(path);
    EXPECT_EQ(back->getParams().method, GetParam());
    Mat s1, s2;
    zsl->computeScores(p.testUnseenX, s1);
    back->computeScores(p.testUnseenX, s2);
    EXPECT_EQ(cv::norm(s1, s2, NORM_INF), 0.0);
}

TEST_P(ZSL_BilinearRanking, earlyStoppingReportsValidationAndStillTransfers)
{
    zsltest::SyntheticProblem p = linearProblem();
    ZeroShotClassifier::Params params = rankingParams(GetParam());
    params.validationFraction = 0.25;
    params.patience = 3;
    int validated = 0, retrained = 0;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->setProgressCallback([&](const TrainingProgress& t) {
        EXPECT_TRUE(std::isfinite(t.loss));
        if (t.validationAccuracy >= 0)
        {
            EXPECT_LE(t.validationAccuracy, 1.0);
            validated++;
        }
        else
            retrained++;
    });
    zsl->train(p.trainX, p.trainY, p.seen);
    EXPECT_GT(validated, 0);
    EXPECT_GT(retrained, 0);
    EXPECT_LE(retrained, validated);
    EXPECT_GT(unseenTop1(zsl, p), 0.9);
}

TEST_P(ZSL_BilinearRanking, badInputThrows)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    ZeroShotClassifier::Params params = rankingParams(GetParam());
    params.epochs = 1;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    Mat bad = p.trainX.clone();
    bad.at<float>(3, 2) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(zsl->train(bad, p.trainY, p.seen), cv::Exception);
    EXPECT_THROW(zsl->train(p.trainX.colRange(0, 5), p.trainY.rowRange(0, 3), p.seen), cv::Exception);
    params.learningRate = 1e30; // diverges: must be reported, not returned as a NaN model
    Ptr<ZeroShotClassifier> wild = ZeroShotClassifier::create(params);
    EXPECT_THROW(wild->train(p.trainX, p.trainY, p.seen), cv::Exception);
    params.learningRate = 0.02;
    params.validationFraction = 0.5;
    zsltest::SyntheticOptions o;
    o.numSeen = 3;
    zsltest::SyntheticProblem tiny = makeSyntheticProblem(o);
    Ptr<ZeroShotClassifier> few = ZeroShotClassifier::create(params);
    EXPECT_THROW(few->train(tiny.trainX, tiny.trainY, tiny.seen), cv::Exception); // too few classes to hold out
    zsl->train(p.trainX, p.trainY, p.seen);
    Mat s;
    EXPECT_THROW(zsl->computeScores(p.testUnseenX.colRange(0, 10), s), cv::Exception);
}

INSTANTIATE_TEST_CASE_P(/**/, ZSL_BilinearRanking, testing::Values((int)ZeroShotClassifier::ALE, (int)ZeroShotClassifier::SJE),
                        [](const testing::TestParamInfo<int>& info) { return std::string(methodName(info.param).c_str()); });

}} // namespace
