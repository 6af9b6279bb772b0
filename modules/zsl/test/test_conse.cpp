// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl;

// Three labels with prototypes s0 = (1, 0), s1 = (0, 1), s2 = (1, 1).
static Mat threeLabelPrototypes() { return (Mat_<float>(3, 2) << 1, 0, 0, 1, 1, 1); }
static Mat threeLabelProbabilities() { return (Mat_<float>(2, 3) << 0.5f, 0.3f, 0.2f, 0.2f, 0.4f, 0.4f); }

TEST(ZSL_ConSE, handComputedEmbeddings)
{
    const Mat S = threeLabelPrototypes(), P = threeLabelProbabilities();
    Mat e1, e2, e3, eBig;
    conseEmbedding(P, S, e1, 1);
    conseEmbedding(P, S, e2, 2);
    conseEmbedding(P, S, e3, 3);
    conseEmbedding(P, S, eBig, 1000); // T above K uses every label
    ASSERT_EQ(e1.size(), Size(2, 2));
    ASSERT_EQ(e1.type(), CV_32F);
    // T = 1: the single most probable label's prototype; row 1 ties labels 1 and 2 -> the lower index.
    EXPECT_EQ(e1.at<float>(0, 0), 1.f);
    EXPECT_EQ(e1.at<float>(0, 1), 0.f);
    EXPECT_EQ(e1.at<float>(1, 0), 0.f);
    EXPECT_EQ(e1.at<float>(1, 1), 1.f);
    // T = 2: row 0 (0.5 s0 + 0.3 s1) / 0.8 = (0.625, 0.375); row 1 (0.4 s1 + 0.4 s2) / 0.8 = (0.5, 1).
    EXPECT_NEAR(e2.at<float>(0, 0), 0.625f, 1e-6);
    EXPECT_NEAR(e2.at<float>(0, 1), 0.375f, 1e-6);
    EXPECT_NEAR(e2.at<float>(1, 0), 0.5f, 1e-6);
    EXPECT_NEAR(e2.at<float>(1, 1), 1.0f, 1e-6);
    // T = 3: row 0 (0.5 + 0.2, 0.3 + 0.2) / 1 = (0.7, 0.5).
    EXPECT_NEAR(e3.at<float>(0, 0), 0.7f, 1e-6);
    EXPECT_NEAR(e3.at<float>(0, 1), 0.5f, 1e-6);
    EXPECT_EQ(cv::norm(e3, eBig, NORM_INF), 0.0);

    // Scores: cosines with candidates (1, 0) and (1, 1). |(0.625, 0.375)| = sqrt(0.53125).
    Mat scores;
    const Mat candidates = (Mat_<float>(2, 2) << 1, 0, 1, 1);
    conseScores(e2, candidates, scores);
    ASSERT_EQ(scores.size(), Size(2, 2));
    EXPECT_NEAR(scores.at<float>(0, 0), 0.625 / std::sqrt(0.53125), 1e-6);          // 0.857493
    EXPECT_NEAR(scores.at<float>(0, 1), 1.0 / (std::sqrt(0.53125) * std::sqrt(2.0)), 1e-6); // 0.970143
    EXPECT_NEAR(scores.at<float>(1, 0), 0.5 / std::sqrt(1.25), 1e-6);
    EXPECT_NEAR(scores.at<float>(1, 1), 1.5 / (std::sqrt(1.25) * std::sqrt(2.0)), 1e-6);

    // Only the top-T probabilities matter: unnormalised rows and CV_64F give the same embedding.
    Mat scaled, e2b;
    P.convertTo(scaled, CV_64F, 7.0);
    conseEmbedding(scaled, S, e2b, 2);
    EXPECT_LT(cv::norm(e2, e2b, NORM_INF), 1e-6);
}

TEST(ZSL_ConSE, largeHeadMatchesDirectFormula)
{
    // 1000-way head, as for ImageNet: compare with a direct sort-and-sum for T = 1, 10, 1000.
    RNG rng(1);
    Mat logits(4, 1000, CV_32F), S(1000, 12, CV_32F), P;
    rng.fill(logits, RNG::NORMAL, 0, 3);
    rng.fill(S, RNG::NORMAL, 0, 1);
    cv::exp(logits, P);
    for (int i = 0; i < P.rows; i++)
        P.row(i) /= cv::sum(P.row(i))[0];
    for (int T : {1, 10, 1000})
    {
        Mat e;
        conseEmbedding(P, S, e, T);
        for (int i = 0; i < P.rows; i++)
        {
            std::vector<std::pair<float, int>> order;
            for (int k = 0; k < P.cols; k++)
                order.emplace_back(-P.at<float>(i, k), k);
            std::sort(order.begin(), order.end());
            Mat f = Mat::zeros(1, S.cols, CV_64F), s64;
            double Z = 0;
            for (int t = 0; t < T; t++)
            {
                S.row(order[t].second).convertTo(s64, CV_64F);
                f += -order[t].first * s64;
                Z -= order[t].first;
            }
            Mat got;
            e.row(i).convertTo(got, CV_64F);
            EXPECT_LT(cv::norm(f / Z, got, NORM_INF), 1e-5) << "T=" << T << " row " << i;
        }
    }
}

TEST(ZSL_ConSE, badInputThrows)
{
    const Mat S = threeLabelPrototypes(), P = threeLabelProbabilities();
    Mat e;
    EXPECT_THROW(conseEmbedding(P, S, e, 0), cv::Exception);
    EXPECT_THROW(conseEmbedding(P, S, e, -3), cv::Exception);
    EXPECT_THROW(conseEmbedding(P.colRange(0, 2), S, e, 1), cv::Exception); // 2 columns, 3 prototypes
    EXPECT_THROW(conseEmbedding(Mat(), S, e, 1), cv::Exception);
    Mat nan = P.clone();
    nan.at<float>(1, 2) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(conseEmbedding(nan, S, e, 2), cv::Exception);
    Mat negative = P.clone();
    negative.at<float>(0, 1) = -0.1f;
    EXPECT_THROW(conseEmbedding(negative, S, e, 2), cv::Exception);
    Mat zero = P.clone();
    zero.row(1).setTo(0);
    EXPECT_THROW(conseEmbedding(zero, S, e, 2), cv::Exception);
    Mat badS = S.clone();
    badS.at<float>(2, 0) = std::numeric_limits<float>::infinity();
    EXPECT_THROW(conseEmbedding(P, badS, e, 2), cv::Exception);
    EXPECT_THROW(conseScores(Mat::ones(2, 3, CV_32F), S, e), cv::Exception); // 3-d embedding, 2-d candidates

    ZeroShotClassifier::Params params;
    params.method = ZeroShotClassifier::CONSE;
    params.conseTopT = 0;
    EXPECT_THROW(ZeroShotClassifier::create(params), cv::Exception);
}

static zsltest::SyntheticProblem conseProblem()
{
    zsltest::SyntheticOptions o;
    o.numSeen = 40;
    o.trainPerClass = 20;
    return zsltest::makeSyntheticProblem(o);
}

static ZeroShotClassifier::Params conseParams(int T)
{
    ZeroShotClassifier::Params params;
    params.method = ZeroShotClassifier::CONSE;
    params.conseTopT = T;
    params.epochs = 15;
    params.batchSize = 32;
    params.learningRate = 1e-2;
    params.seed = 9;
    return params;
}

TEST(ZSL_ConSE, classifierTransfersToUnseenClasses)
{
    zsltest::SyntheticProblem p = conseProblem();
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(conseParams(10));
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    Mat labels, scores;
    zsl->predict(p.testSeenX, labels, scores, 1);
    // In GZSL terms the seen classes are recognised through their own prototypes.
    zsl->setMode(ZeroShotClassifier::MODE_GZSL);
    zsl->predict(p.testSeenX, labels, scores, 1);
    EXPECT_GT(zsltest::perClassTop1(labels, p.testSeenY), 0.8);
    zsl->setMode(ZeroShotClassifier::MODE_ZSL);
    zsl->predict(p.testUnseenX, labels, scores, 1);
    EXPECT_GT(zsltest::perClassTop1(labels, p.testUnseenY, p.seen.size()), 0.7); // 10 classes: chance is 0.1

    // With T = 1 the embedding is exactly one seen prototype.
    ZeroShotClassifier::Params one = conseParams(1);
    one.epochs = 2;
    Ptr<ZeroShotClassifier> top1 = ZeroShotClassifier::create(one);
    top1->train(p.trainX, p.trainY, p.seen);
    Mat emb;
    top1->predictAttributes(p.testUnseenX.rowRange(0, 10), emb);
    for (int i = 0; i < emb.rows; i++)
    {
        double nearest = 1e9;
        for (int c = 0; c < p.seen.size(); c++)
            nearest = std::min(nearest, cv::norm(emb.row(i), p.seen.vectors.row(c), NORM_INF));
        EXPECT_EQ(nearest, 0.0) << "row " << i;
    }
}

TEST(ZSL_ConSE, sameSeedBitIdenticalSaveLoadAndEarlyStopping)
{
    zsltest::SyntheticProblem p = conseProblem();
    ZeroShotClassifier::Params params = conseParams(5);
    params.epochs = 3;
    Ptr<ZeroShotClassifier> a = ZeroShotClassifier::create(params), b = ZeroShotClassifier::create(params);
    a->train(p.trainX, p.trainY, p.seen);
    b->train(p.trainX, p.trainY, p.seen);
    a->setUnseenClasses(p.unseen);
    b->setUnseenClasses(p.unseen);
    Mat sa, sb;
    a->computeScores(p.testUnseenX, sa);
    b->computeScores(p.testUnseenX, sb);
    EXPECT_EQ(cv::norm(sa, sb, NORM_INF), 0.0);

    const std::string path = zsltest::tempDir() + "/conse.yml.gz";
    a->save(path);
    Ptr<ZeroShotClassifier> back = ZeroShotClassifier::load(path);
    EXPECT_EQ(back->getParams().conseTopT, 5);
    Mat sl;
    back->computeScores(p.testUnseenX, sl);
    EXPECT_EQ(cv::norm(sa, sl, NORM_INF), 0.0);

    params.validationFraction = 0.25;
    params.patience = 2;
    params.epochs = 6;
    int validated = 0, total = 0;
    Ptr<ZeroShotClassifier> es = ZeroShotClassifier::create(params);
    es->setProgressCallback([&](const TrainingProgress& t) { total++; validated += t.validationAccuracy >= 0; });
    es->train(p.trainX, p.trainY, p.seen);
    EXPECT_GT(validated, 0);
    EXPECT_GT(total, validated); // then the retraining on all seen classes
}

}} // namespace
