// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include "methods/compatibility_model.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl;

static ZeroShotClassifier::Params mlpParams()
{
    ZeroShotClassifier::Params p;
    p.method = ZeroShotClassifier::MLP;
    p.hiddenSizes = {128};
    p.leakyReluSlope = 0.2;
    p.loss = ZeroShotClassifier::LOSS_COSINE;
    p.epochs = 40;
    p.batchSize = 32;
    p.learningRate = 1e-3;
    return p;
}

static double unseenTop1(const Ptr<ZeroShotClassifier>& zsl, const zsltest::SyntheticProblem& p)
{
    zsl->setUnseenClasses(p.unseen);
    Mat labels, scores;
    zsl->predict(p.testUnseenX, labels, scores, 1);
    return zsltest::perClassTop1(labels, p.testUnseenY, p.seen.size());
}

static zsltest::SyntheticProblem nonlinearProblem()
{
    zsltest::SyntheticOptions o;
    o.nonlinear = true;
    o.numSeen = 60; // enough seen classes for a non-linear regressor to generalise to unseen ones
    o.numUnseen = 20;
    o.trainPerClass = 20;
    return zsltest::makeSyntheticProblem(o);
}

TEST(ZSL_MLP, beatsEszslOnANonlinearProblem)
{
    zsltest::SyntheticProblem p = nonlinearProblem();
    // ESZSL at its best regulariser of a grid (measured: 0.59 at 1e-3 .. 0.50 at 1).
    double eszsl = 0;
    for (double g : {1e-3, 1e-2, 1e-1, 1.0})
    {
        ZeroShotClassifier::Params e;
        e.eszslGamma = e.eszslLambda = g;
        Ptr<ZeroShotClassifier> z = ZeroShotClassifier::create(e);
        z->train(p.trainX, p.trainY, p.seen);
        eszsl = std::max(eszsl, unseenTop1(z, p));
    }
    for (int loss : {ZeroShotClassifier::LOSS_COSINE, ZeroShotClassifier::LOSS_MSE})
    {
        ZeroShotClassifier::Params m = mlpParams();
        m.loss = loss;
        Ptr<ZeroShotClassifier> mlp = ZeroShotClassifier::create(m);
        mlp->train(p.trainX, p.trainY, p.seen);
        const double acc = unseenTop1(mlp, p); // measured: 0.99 (cosine), 0.97 (MSE)
        EXPECT_GT(acc, 0.85) << "loss " << loss;
        EXPECT_GT(acc, eszsl + 0.2) << "loss " << loss << ", ESZSL " << eszsl;
    }
}

TEST(ZSL_MLP, sameSeedGivesBitIdenticalModelsAndAnotherSeedDoesNot)
{
    zsltest::SyntheticProblem p = zsltest::makeSyntheticProblem();
    ZeroShotClassifier::Params m = mlpParams();
    m.epochs = 5;
    m.dropout = 0.2;
    m.validationFraction = 0.25;
    zsltest::expectSeedDeterminism(m, p, 12345);
}

TEST(ZSL_MLP, saveLoadGivesIdenticalScoresAndEmbeddings)
{
    zsltest::SyntheticProblem p = zsltest::makeSyntheticProblem();
    ZeroShotClassifier::Params m = mlpParams();
    m.hiddenSizes = {32, 24};
    m.epochs = 3;
    m.dropout = 0.1;
    Ptr<ZeroShotClassifier> z = ZeroShotClassifier::create(m);
    z->train(p.trainX, p.trainY, p.seen);
    z->setUnseenClasses(p.unseen);
    const std::string path = zsltest::tempDir() + "/mlp.yml.gz";
    z->save(path);
    Ptr<ZeroShotClassifier> back = ZeroShotClassifier::load(path);
    Mat a, b, ea, eb;
    z->computeScores(p.testUnseenX, a);
    back->computeScores(p.testUnseenX, b);
    EXPECT_EQ(cv::norm(a, b, NORM_INF), 0.0);
    z->predictAttributes(p.testUnseenX, ea);
    back->predictAttributes(p.testUnseenX, eb);
    ASSERT_EQ(ea.cols, p.seen.dims());
    EXPECT_EQ(cv::norm(ea, eb, NORM_INF), 0.0);
    // Scores are cosines of the embedding with the class prototypes.
    Mat e0 = ea.row(0), s0 = p.unseen.vectors.row(3);
    EXPECT_NEAR(a.at<float>(0, p.seen.size() + 3), e0.dot(s0) / (cv::norm(e0) * cv::norm(s0)), 1e-5);
}

TEST(ZSL_MLP, progressIsReportedOncePerEpochWithValidation)
{
    zsltest::SyntheticProblem p = zsltest::makeSyntheticProblem();
    ZeroShotClassifier::Params m = mlpParams();
    m.epochs = 30;
    m.patience = 2;
    m.validationFraction = 0.2;
    Ptr<ZeroShotClassifier> z = ZeroShotClassifier::create(m);
    std::vector<TrainingProgress> log;
    z->setProgressCallback([&](const TrainingProgress& t) { log.push_back(t); });
    z->train(p.trainX, p.trainY, p.seen);
    ASSERT_FALSE(log.empty());
    for (size_t i = 0; i < log.size(); i++)
    {
        EXPECT_EQ(log[i].epoch, (int)i + 1);
        EXPECT_EQ(log[i].epochs, 30);
        EXPECT_TRUE(std::isfinite(log[i].loss));
        EXPECT_GE(log[i].validationAccuracy, 0.0);
        EXPECT_LE(log[i].validationAccuracy, 1.0);
    }
    EXPECT_LT(log.back().loss, log.front().loss);
}

TEST(ZSL_MLP, badParametersThrow)
{
    zsltest::SyntheticProblem p = zsltest::makeSyntheticProblem();
    ZeroShotClassifier::Params m = mlpParams();
    m.loss = 7;
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception);
    m = mlpParams();
    m.leakyReluSlope = -0.5;
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception);
    m = mlpParams();
    m.hiddenSizes = {16, 0};
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception);
    m = mlpParams();
    m.dropout = 1.0;
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception);
    m = mlpParams();
    m.learningRate = 0;
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception);
    // A validation split needs at least 4 seen classes.
    m = mlpParams();
    m.validationFraction = 0.5;
    Ptr<ZeroShotClassifier> z = ZeroShotClassifier::create(m);
    Mat y = (Mat_<int>(6, 1) << 0, 0, 1, 1, 2, 2);
    EXPECT_THROW(z->train(p.trainX.rowRange(0, 6), y, p.seen.subset({0, 1, 2})), cv::Exception);
    // A diverging run is reported, not returned as a NaN model.
    m = mlpParams();
    m.learningRate = 1e30;
    m.loss = ZeroShotClassifier::LOSS_MSE;
    z = ZeroShotClassifier::create(m);
    EXPECT_THROW(z->train(p.trainX * 1e10, p.trainY, p.seen), cv::Exception);
}

TEST(ZSL_MLP, deepConfigurationOfTheSeedArticleTrains)
{
    // 2048 -> 6144 -> 4096 -> 1024 -> 300, LeakyReLU 0.2, dropout 0.1, cosine loss, Adam 1e-3:
    // two one-batch epochs on a small random set check the shapes, the memory and that the loss goes down.
    cv::RNG rng(3);
    Mat X(16, 2048, CV_32F), S(4, 300, CV_32F), y(16, 1, CV_32S);
    rng.fill(X, RNG::UNIFORM, 0, 1);
    rng.fill(S, RNG::NORMAL, 0, 1);
    for (int i = 0; i < 16; i++)
        y.at<int>(i) = i % 4;
    ClassPrototypes seen({"a", "b", "c", "d"}, S);
    ZeroShotClassifier::Params m = mlpParams();
    m.hiddenSizes = {6144, 4096, 1024};
    m.dropout = 0.1;
    m.epochs = 2;
    m.batchSize = 16;
    Ptr<ZeroShotClassifier> z = ZeroShotClassifier::create(m);
    std::vector<double> losses;
    z->setProgressCallback([&](const TrainingProgress& t) { losses.push_back(t.loss); });
    z->train(X, y, seen);
    ASSERT_EQ(losses.size(), 2u);
    EXPECT_LT(losses.back(), losses.front());
    Mat emb;
    z->predictAttributes(X.rowRange(0, 5), emb);
    EXPECT_EQ(emb.cols, 300);
    EXPECT_TRUE(cv::checkRange(emb));
}

}} // namespace
