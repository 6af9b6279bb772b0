// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <set>

namespace opencv_test { namespace {

using namespace cv::zsl;
using zsltest::makeSyntheticProblem;

static std::set<int> classesOf(const Mat& labels, const std::vector<int>& indices)
{
    std::set<int> out;
    for (int i : indices)
        out.insert(labels.at<int>(i));
    return out;
}

TEST(ZSL_ModelSelection, gridExpandsToEveryCombination)
{
    ZeroShotClassifier::Params base;
    base.saeLambda = 0.7;
    HyperParamGrid grid;
    grid.eszslGamma = {0.1, 1, 10};
    grid.eszslLambda = {0.5, 5};
    std::vector<ZeroShotClassifier::Params> c = grid.expand(base);
    ASSERT_EQ(c.size(), 6u);
    EXPECT_EQ(c[0].eszslGamma, 0.1);
    EXPECT_EQ(c[0].eszslLambda, 0.5);
    EXPECT_EQ(c[1].eszslLambda, 5.0);
    EXPECT_EQ(c[5].eszslGamma, 10.0);
    for (const ZeroShotClassifier::Params& p : c)
        EXPECT_EQ(p.saeLambda, 0.7); // empty list: the template's value
    EXPECT_EQ(HyperParamGrid().expand(base).size(), 1u);
}

TEST(ZSL_ModelSelection, foldsAreClassDisjointAndCoverEveryClassOnce)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    const int C = p.seen.size(), k = 4;
    std::vector<std::vector<int> > train, val;
    classDisjointFolds(p.trainY, C, k, 11, train, val);
    ASSERT_EQ(train.size(), (size_t)k);
    ASSERT_EQ(val.size(), (size_t)k);
    std::vector<int> heldOutTimes(C, 0);
    for (int f = 0; f < k; f++)
    {
        const std::set<int> tc = classesOf(p.trainY, train[f]), vc = classesOf(p.trainY, val[f]);
        for (int c : vc)
        {
            EXPECT_EQ(tc.count(c), 0u) << "fold " << f << " trains on its held-out class " << c;
            heldOutTimes[c]++;
        }
        EXPECT_EQ(tc.size() + vc.size(), (size_t)C);
        EXPECT_GE(vc.size(), (size_t)(C / k));
        EXPECT_LE(vc.size(), (size_t)(C / k + 1));
        EXPECT_EQ(train[f].size() + val[f].size(), (size_t)p.trainY.rows); // every sample on one side
    }
    for (int c = 0; c < C; c++)
        EXPECT_EQ(heldOutTimes[c], 1) << "class " << c;

    // Deterministic under a seed, different under another.
    std::vector<std::vector<int> > train2, val2, train3, val3;
    classDisjointFolds(p.trainY, C, k, 11, train2, val2);
    classDisjointFolds(p.trainY, C, k, 12, train3, val3);
    EXPECT_EQ(val, val2);
    EXPECT_NE(val, val3);

    EXPECT_THROW(classDisjointFolds(p.trainY, C, 1, 0, train, val), cv::Exception);
    EXPECT_THROW(classDisjointFolds(p.trainY, C, C, 0, train, val), cv::Exception);    // 1 class per fold
    EXPECT_THROW(classDisjointFolds(p.trainY, C + 5, 3, 0, train, val), cv::Exception); // classes without samples
}

// Few, noisy samples in many dimensions: an almost unregularised visual side interpolates the noise.
static zsltest::SyntheticProblem overfittingProblem()
{
    zsltest::SyntheticOptions o;
    o.featureDim = 64;
    o.trainPerClass = 4;
    o.noise = 0.3;
    return makeSyntheticProblem(o);
}

TEST(ZSL_ModelSelection, kFoldRejectsATinyRegulariserOnAnOverfittingProblem)
{
    zsltest::SyntheticProblem p = overfittingProblem();
    HyperParamGrid grid;
    grid.eszslGamma = {1e-7, 1.0};
    grid.eszslLambda = {1e-2};
    ModelSelectionResult r = selectHyperParamsKFold(p.trainX, p.trainY, p.seen, grid.expand(ZeroShotClassifier::Params()), 4);
    ASSERT_EQ(r.scores.size(), 2u);
    ASSERT_EQ(r.foldScores.size(), Size(4, 2));
    EXPECT_EQ(r.bestIndex, 1);
    EXPECT_EQ(r.best.eszslGamma, 1.0);
    EXPECT_GT(r.scores[1], r.scores[0] + 0.1);
    EXPECT_NEAR(r.scores[1], cv::mean(r.foldScores.row(1))[0], 1e-12);

    // The choice on seen classes carries over to the real unseen classes.
    std::vector<double> unseenAcc;
    for (const ZeroShotClassifier::Params& params : grid.expand(ZeroShotClassifier::Params()))
    {
        Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
        zsl->train(p.trainX, p.trainY, p.seen);
        zsl->setUnseenClasses(p.unseen);
        Mat labels, scores;
        zsl->predict(p.testUnseenX, labels, scores, 1);
        unseenAcc.push_back(zsltest::perClassTop1(labels, p.testUnseenY, p.seen.size()));
    }
    EXPECT_GT(unseenAcc[1], unseenAcc[0]);
}

TEST(ZSL_ModelSelection, saeLambdaGrid)
{
    zsltest::SyntheticProblem p = overfittingProblem();
    ZeroShotClassifier::Params base;
    base.method = ZeroShotClassifier::SAE;
    HyperParamGrid grid;
    grid.saeLambda = {1e-7, 1.0};
    ModelSelectionResult r = selectHyperParamsKFold(p.trainX, p.trainY, p.seen, grid.expand(base), 4);
    ASSERT_EQ(r.scores.size(), 2u);
    EXPECT_EQ(r.best.method, (int)ZeroShotClassifier::SAE);
    // A vanishing lambda drops the encoder term of the loss, the one that scores in the semantic space.
    EXPECT_EQ(r.bestIndex, 1);
    EXPECT_EQ(r.best.saeLambda, 1.0);
    for (double s : r.scores)
    {
        EXPECT_GE(s, 0.0);
        EXPECT_LE(s, 1.0);
    }
}

TEST(ZSL_ModelSelection, explicitSplitScoresEqualAManualEvaluation)
{
    zsltest::SyntheticProblem p = overfittingProblem();
    // Classes 0..13 train, 14..19 validate (as GBU's train_loc / val_loc).
    std::vector<int> trainIdx, valIdx, trainClasses, valClasses;
    for (int i = 0; i < p.trainY.rows; i++)
        (p.trainY.at<int>(i) < 14 ? trainIdx : valIdx).push_back(i);
    for (int c = 0; c < p.seen.size(); c++)
        (c < 14 ? trainClasses : valClasses).push_back(c);
    HyperParamGrid grid;
    grid.eszslGamma = {1e-7, 1e-1, 10};
    std::vector<ZeroShotClassifier::Params> candidates = grid.expand(ZeroShotClassifier::Params());
    ModelSelectionResult r = selectHyperParams(p.trainX, p.trainY, p.seen, candidates, trainIdx, valIdx);
    ASSERT_EQ(r.foldScores.size(), Size(1, 3));

    Mat trainX, trainY, valX, valY;
    for (int i : trainIdx)
    {
        trainX.push_back(p.trainX.row(i));
        trainY.push_back(p.trainY.at<int>(i));
    }
    for (int i : valIdx)
    {
        valX.push_back(p.trainX.row(i));
        valY.push_back(p.trainY.at<int>(i) - 14);
    }
    double best = -1;
    for (size_t c = 0; c < candidates.size(); c++)
    {
        Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(candidates[c]);
        zsl->train(trainX, trainY, p.seen.subset(trainClasses));
        zsl->setUnseenClasses(p.seen.subset(valClasses));
        Mat labels, scores;
        zsl->predict(valX, labels, scores, 1);
        const double acc = zsltest::perClassTop1(labels, valY, 14);
        EXPECT_DOUBLE_EQ(r.scores[c], acc) << "candidate " << c;
        best = std::max(best, acc);
    }
    EXPECT_EQ(r.scores[r.bestIndex], best);

    // A split that is not class-disjoint is refused.
    std::vector<int> leaky = valIdx;
    leaky.push_back(trainIdx.front());
    EXPECT_THROW(selectHyperParams(p.trainX, p.trainY, p.seen, candidates, trainIdx, leaky), cv::Exception);
    EXPECT_THROW(selectHyperParams(p.trainX, p.trainY, p.seen, candidates, trainIdx, std::vector<int>()), cv::Exception);
    EXPECT_THROW(selectHyperParams(p.trainX, p.trainY, p.seen, candidates, trainIdx, std::vector<int>{0, 100000}), cv::Exception);
    EXPECT_THROW(selectHyperParams(p.trainX, p.trainY, p.seen, std::vector<ZeroShotClassifier::Params>(), trainIdx, valIdx),
                 cv::Exception);
}

TEST(ZSL_Calibration, knownAnswerOnHandMadeScores)
{
    // 2 seen classes (0, 1), 2 unseen (2, 3). Seen scores exceed the right unseen score by 0.3 or less,
    // and the right seen classes lead by 0.55 or more: any gamma in (0.3, 0.55) is perfect.
    const float s[6][4] = {
        {1.0f, 0.2f, 0.1f, 0.0f},  // seen 0, margin to the best unseen 0.9
        {0.1f, 0.9f, 0.0f, 0.2f},  // seen 1, margin 0.7
        {0.6f, 0.1f, 0.4f, 0.0f},  // unseen 2, seen leads by 0.2
        {0.2f, 0.7f, 0.0f, 0.4f},  // unseen 3, seen leads by 0.3
        {0.9f, 0.0f, 0.35f, 0.0f}, // seen 0, margin 0.55
        {0.0f, 0.3f, 0.2f, 0.6f},  // unseen 3, already right
    };
    Mat scores(6, 4, CV_32F, (void*)s);
    Mat truth = (Mat_<int>(6, 1) << 0, 1, 2, 3, 0, 3);
    GzslAccuracy acc;
    const double gamma = selectCalibrationFromScores(scores, truth, 2, acc);
    EXPECT_GT(gamma, 0.3);
    EXPECT_LT(gamma, 0.55);
    EXPECT_DOUBLE_EQ(acc.seen, 1.0);
    EXPECT_DOUBLE_EQ(acc.unseen, 1.0);
    EXPECT_DOUBLE_EQ(acc.harmonic, 1.0);

    EXPECT_THROW(selectCalibrationFromScores(scores, truth, 0, acc), cv::Exception);
    EXPECT_THROW(selectCalibrationFromScores(scores, truth, 4, acc), cv::Exception);
    EXPECT_THROW(selectCalibrationFromScores(scores, truth.rowRange(0, 3), 2, acc), cv::Exception);
    Mat badTruth = truth.clone();
    badTruth.at<int>(0) = 4;
    EXPECT_THROW(selectCalibrationFromScores(scores, badTruth, 2, acc), cv::Exception);
}

TEST(ZSL_Calibration, beatsEveryConstantOfAFineGridAndMatchesPredict)
{
    zsltest::SyntheticOptions o;
    o.noise = 0.3;
    o.classDeviation = 0.5;
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    ZeroShotClassifier::Params params;
    params.eszslGamma = 1e-2;
    params.eszslLambda = 1e-2;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    zsl->setMode(ZeroShotClassifier::MODE_GZSL);
    Mat X, truth, unseenTruth = p.testUnseenY + p.seen.size();
    cv::vconcat(p.testSeenX, p.testUnseenX, X);
    cv::vconcat(p.testSeenY, unseenTruth, truth);
    std::vector<uchar> seenMask(p.seen.size() + p.unseen.size(), 0);
    std::fill(seenMask.begin(), seenMask.begin() + p.seen.size(), 1);

    GzslAccuracy chosen;
    const double gamma = selectCalibration(zsl, X, truth, chosen);
    auto evaluate = [&](double g) {
        zsl->setCalibration(g);
        Mat labels, scores;
        zsl->predict(X, labels, scores, 1);
        return evaluateGzsl(labels, truth, seenMask);
    };
    const GzslAccuracy check = evaluate(gamma);
    EXPECT_DOUBLE_EQ(check.harmonic, chosen.harmonic);
    EXPECT_DOUBLE_EQ(check.seen, chosen.seen);
    EXPECT_DOUBLE_EQ(check.unseen, chosen.unseen);
    Mat all;
    zsl->computeScores(X, all);
    double lo, hi;
    cv::minMaxLoc(all, &lo, &hi);
    for (int step = -100; step <= 100; step++)
        EXPECT_LE(evaluate((hi - lo) * step / 100.0).harmonic, chosen.harmonic + 1e-12) << "step " << step;
}

}} // namespace
