// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl;

// Word-vector-like problem with a planted linear map: unit label vectors t_c (A-d), features
// x = t_c G + noise (D-d, D > A), so that M* = pinv(G) maps every feature back onto its label vector.
struct PlantedProblem
{
    ClassPrototypes seen, unseen;
    Mat trainX, trainY, testX, testY, G;
};

static PlantedProblem makePlantedProblem(int numSeen = 60, int numUnseen = 20, int A = 16, int D = 32, int perClass = 20,
                                         double noise = 0.05, uint64 seed = 3)
{
    RNG rng(seed);
    PlantedProblem p;
    Mat T(numSeen + numUnseen, A, CV_32F);
    rng.fill(T, RNG::NORMAL, 0, 1);
    for (int c = 0; c < T.rows; c++)
        cv::normalize(T.row(c), T.row(c));
    p.G.create(A, D, CV_32F);
    rng.fill(p.G, RNG::NORMAL, 0, 1.0 / std::sqrt((double)A));
    std::vector<String> names;
    for (int c = 0; c < T.rows; c++)
        names.push_back(cv::format("word_%02d", c));
    p.seen = ClassPrototypes(std::vector<String>(names.begin(), names.begin() + numSeen), T.rowRange(0, numSeen));
    p.unseen = ClassPrototypes(std::vector<String>(names.begin() + numSeen, names.end()), T.rowRange(numSeen, T.rows));
    auto sample = [&](const Mat& protos, Mat& X, Mat& Y) {
        X.create(protos.rows * perClass, D, CV_32F);
        Y.create(protos.rows * perClass, 1, CV_32S);
        for (int i = 0; i < X.rows; i++)
        {
            Mat n(1, D, CV_32F), row = X.row(i);
            rng.fill(n, RNG::NORMAL, 0, noise);
            row = protos.row(i / perClass) * p.G + n;
            Y.at<int>(i) = i / perClass;
        }
    };
    sample(p.seen.vectors, p.trainX, p.trainY);
    sample(p.unseen.vectors, p.testX, p.testY);
    return p;
}

static ZeroShotClassifier::Params deviseParams()
{
    ZeroShotClassifier::Params params;
    params.method = ZeroShotClassifier::DEVISE;
    params.epochs = 20;
    params.batchSize = 32;
    params.learningRate = 1e-3;
    params.seed = 5;
    return params;
}

static double meanRowCosine(const Mat& a, const Mat& b)
{
    double sum = 0;
    for (int i = 0; i < a.rows; i++)
        sum += a.row(i).dot(b.row(i)) / (cv::norm(a.row(i)) * cv::norm(b.row(i)));
    return sum / a.rows;
}

TEST(ZSL_DeViSE, recoversPlantedLinearMap)
{
    PlantedProblem p = makePlantedProblem();
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(deviseParams());
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);

    Mat embedded, truth(p.testX.rows, p.seen.dims(), CV_32F);
    zsl->predictAttributes(p.testX, embedded);
    for (int i = 0; i < p.testX.rows; i++)
        p.unseen.vectors.row(p.testY.at<int>(i)).copyTo(truth.row(i));
    // A ranking loss asks for t_y to beat its neighbours by the margin, not for Mx to equal t_y, so the
    // alignment levels off below 1 (about 0.85 here); a map that ignored the planted structure gives ~0.
    const double cosine = meanRowCosine(embedded, truth);
    EXPECT_GT(cosine, 0.8) << "Mx should point along the unseen label vector";

    Mat labels, scores;
    zsl->predict(p.testX, labels, scores, 1);
    EXPECT_GT(zsltest::perClassTop1(labels, p.testY, p.seen.size()), 0.9);

    // Scores are cosines with the candidates: bounded by 1, equal to the cosine of the embedding.
    Mat all;
    zsl->computeScores(p.testX.rowRange(0, 5), all);
    for (int i = 0; i < 5; i++)
    {
        const int c = p.seen.size() + 3;
        const Mat proto = zsl->getClasses().vectors.row(c);
        const double expected = embedded.row(i).dot(proto) / (cv::norm(embedded.row(i)) * cv::norm(proto));
        EXPECT_NEAR(all.at<float>(i, c), expected, 1e-5);
        EXPECT_LE(std::abs(all.at<float>(i, 0)), 1.0 + 1e-5);
    }
}

TEST(ZSL_DeViSE, sameSeedBitIdenticalAndSaveLoadRoundTrip)
{
    PlantedProblem p = makePlantedProblem(20, 5, 8, 12, 10);
    ZeroShotClassifier::Params params = deviseParams();
    params.epochs = 3;
    Ptr<ZeroShotClassifier> a = ZeroShotClassifier::create(params), b = ZeroShotClassifier::create(params);
    a->train(p.trainX, p.trainY, p.seen);
    b->train(p.trainX, p.trainY, p.seen);
    a->setUnseenClasses(p.unseen);
    b->setUnseenClasses(p.unseen);
    Mat sa, sb;
    a->computeScores(p.testX, sa);
    b->computeScores(p.testX, sb);
    EXPECT_EQ(cv::norm(sa, sb, NORM_INF), 0.0);

    params.seed = 6;
    Ptr<ZeroShotClassifier> c = ZeroShotClassifier::create(params);
    c->train(p.trainX, p.trainY, p.seen);
    c->setUnseenClasses(p.unseen);
    Mat sc;
    c->computeScores(p.testX, sc);
    EXPECT_GT(cv::norm(sa, sc, NORM_INF), 0.0);

    const std::string path = zsltest::tempDir() + "/devise.yml";
    a->save(path);
    Ptr<ZeroShotClassifier> back = ZeroShotClassifier::load(path);
    EXPECT_EQ(back->getParams().method, (int)ZeroShotClassifier::DEVISE);
    Mat sl;
    back->computeScores(p.testX, sl);
    EXPECT_EQ(cv::norm(sa, sl, NORM_INF), 0.0);
}

TEST(ZSL_DeViSE, earlyStoppingAndBadInput)
{
    PlantedProblem p = makePlantedProblem(20, 5, 8, 12, 10);
    ZeroShotClassifier::Params params = deviseParams();
    params.validationFraction = 0.2;
    params.patience = 2;
    int validated = 0;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->setProgressCallback([&](const TrainingProgress& t) { validated += t.validationAccuracy >= 0; });
    zsl->train(p.trainX, p.trainY, p.seen);
    EXPECT_GT(validated, 0);

    Mat bad = p.trainX.clone();
    bad.at<float>(0, 0) = std::numeric_limits<float>::infinity();
    EXPECT_THROW(zsl->train(bad, p.trainY, p.seen), cv::Exception);
    Mat wrongLabels = p.trainY.clone();
    wrongLabels.at<int>(2) = p.seen.size();
    EXPECT_THROW(zsl->train(p.trainX, wrongLabels, p.seen), cv::Exception);
    Mat out;
    EXPECT_THROW(zsl->predictAttributes(p.trainX.colRange(0, 3), out), cv::Exception);
    EXPECT_THROW(ZeroShotClassifier::load(zsltest::tempDir() + "/missing.yml"), cv::Exception);
}

}} // namespace
