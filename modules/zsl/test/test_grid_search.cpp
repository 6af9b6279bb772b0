// This file is part of the opencv_zsl module (cv::zsl).
// The self-extending grid search (HyperParamGrid, selectHyperParamsOnGrid*): synthetic objectives with
// known optima inside and outside the initial grid, the extension bound, and that selection reads only
// the rows it is given.
#include "test_precomp.hpp"
#include "grid_search.hpp"
#include <cmath>

namespace opencv_test { namespace {

using namespace cv::zsl;

// A one-fold scorer from an objective, counting its calls.
struct CountingScorer
{
    std::function<double(const ZeroShotClassifier::Params&)> objective;
    int calls = 0;
    std::vector<double> operator()(const ZeroShotClassifier::Params& p)
    {
        calls++;
        return {objective(p)};
    }
};

cv::zsl::detail::CandidateScorer wrap(CountingScorer& s)
{
    return [&s](const ZeroShotClassifier::Params& p) { return s(p); };
}

TEST(ZSL_GridSearch, findsAnOptimumOutsideTheInitialGrid)
{
    // Peak at gamma = 10^2.3, lambda = 10^-2.2: both beyond {0.1, 1, 10}.
    CountingScorer s;
    s.objective = [](const ZeroShotClassifier::Params& p) {
        const double a = std::log10(p.eszslGamma) - 2.3, b = std::log10(p.eszslLambda) + 2.2;
        return -(a * a + b * b);
    };
    HyperParamGrid grid;
    grid.eszslGamma = {0.1, 1, 10};
    grid.eszslLambda = {10, 1, 0.1}; // any order
    ModelSelectionResult r = cv::zsl::detail::searchGrid(grid, ZeroShotClassifier::Params(), wrap(s));
    EXPECT_DOUBLE_EQ(r.best.eszslGamma, 100.0);
    EXPECT_DOUBLE_EQ(r.best.eszslLambda, 0.01);
    EXPECT_EQ(r.extensions, 2); // 10 -> 100 -> 1000, 0.1 -> 0.01 -> 0.001; then interior
    EXPECT_FALSE(r.stoppedAtBound);
    ASSERT_EQ(r.candidates.size(), 25u);
    EXPECT_EQ(s.calls, 25); // every candidate scored once across the rounds
    ASSERT_EQ(r.foldScores.size(), Size(1, 25));
    for (size_t c = 0; c < r.candidates.size(); c++)
    {
        EXPECT_DOUBLE_EQ(r.scores[c], s.objective(r.candidates[c]));
        EXPECT_DOUBLE_EQ(r.foldScores.at<double>((int)c, 0), r.scores[c]);
        EXPECT_LE(r.scores[c], r.scores[r.bestIndex]);
    }
    EXPECT_DOUBLE_EQ(r.candidates[r.bestIndex].eszslGamma, 100.0);
}

TEST(ZSL_GridSearch, interiorOptimumAndPlateausDoNotExtend)
{
    CountingScorer interior;
    interior.objective = [](const ZeroShotClassifier::Params& p) { return -std::abs(std::log10(p.eszslGamma)); };
    HyperParamGrid grid;
    grid.eszslGamma = {0.1, 1, 10};
    ModelSelectionResult r = cv::zsl::detail::searchGrid(grid, ZeroShotClassifier::Params(), wrap(interior));
    EXPECT_EQ(r.extensions, 0);
    EXPECT_EQ(r.best.eszslGamma, 1.0);
    EXPECT_EQ(interior.calls, 3);

    // A flat objective: the first candidate (an edge) wins the tie, but it does not beat its neighbour.
    CountingScorer flat;
    flat.objective = [](const ZeroShotClassifier::Params&) { return 0.5; };
    r = cv::zsl::detail::searchGrid(grid, ZeroShotClassifier::Params(), wrap(flat));
    EXPECT_EQ(r.extensions, 0);
    EXPECT_EQ(r.bestIndex, 0);
    EXPECT_FALSE(r.stoppedAtBound);
}

TEST(ZSL_GridSearch, extensionsAreBounded)
{
    CountingScorer s;
    s.objective = [](const ZeroShotClassifier::Params& p) { return std::log10(p.eszslGamma); }; // increasing forever
    HyperParamGrid grid;
    grid.eszslGamma = {0.1, 1, 10};
    grid.maxExtensions = 3;
    ModelSelectionResult r = cv::zsl::detail::searchGrid(grid, ZeroShotClassifier::Params(), wrap(s));
    EXPECT_EQ(r.extensions, 3);
    EXPECT_TRUE(r.stoppedAtBound);
    EXPECT_DOUBLE_EQ(r.best.eszslGamma, 1e4);
    EXPECT_EQ(r.candidates.size(), 6u);
    EXPECT_EQ(s.calls, 6);

    grid.maxExtensions = 0; // a fixed grid
    r = cv::zsl::detail::searchGrid(grid, ZeroShotClassifier::Params(), wrap(s));
    EXPECT_EQ(r.extensions, 0);
    EXPECT_DOUBLE_EQ(r.best.eszslGamma, 10.0);
    EXPECT_FALSE(r.stoppedAtBound);
}

TEST(ZSL_GridSearch, iterativeAxesExtendWithinTheirRanges)
{
    // Optimum at 70 epochs, learning rate 0.03, hidden width 900; epochs cannot go below 1.
    CountingScorer s;
    s.objective = [](const ZeroShotClassifier::Params& p) {
        const double e = std::log(p.epochs / 70.0), l = std::log10(p.learningRate / 0.03), h = std::log2(p.hiddenSizes[0] / 900.0);
        return -(e * e + l * l + h * h);
    };
    ZeroShotClassifier::Params base;
    base.method = ZeroShotClassifier::MLP;
    HyperParamGrid grid;
    grid.epochs = {10, 20};
    grid.learningRate = {1e-4, 1e-3};
    grid.hiddenSize = {64, 128};
    grid.maxExtensions = 10;
    ModelSelectionResult r = cv::zsl::detail::searchGrid(grid, base, wrap(s));
    EXPECT_EQ(r.best.epochs, 80);            // 10, 20, 40, 80, 160
    EXPECT_NEAR(r.best.learningRate, 1e-2, 1e-12); // 1e-2 (log distance 0.48) beats 1e-1 (0.52)
    ASSERT_EQ(r.best.hiddenSizes.size(), 1u);
    EXPECT_EQ(r.best.hiddenSizes[0], 1024); // 64 .. 2048 by doubling
    EXPECT_FALSE(r.stoppedAtBound);
    EXPECT_EQ(s.calls, (int)r.candidates.size());

    // Epochs {1, 2} with the best at 1: no value below 1 exists, the search stops and says so.
    CountingScorer fewer;
    fewer.objective = [](const ZeroShotClassifier::Params& p) { return -(double)p.epochs; };
    HyperParamGrid e;
    e.epochs = {2, 1};
    r = cv::zsl::detail::searchGrid(e, base, wrap(fewer));
    EXPECT_EQ(r.best.epochs, 1);
    EXPECT_EQ(r.extensions, 0);
    EXPECT_TRUE(r.stoppedAtBound);

    // The public extend(): one value beyond each edge the candidate sits on, sorted.
    HyperParamGrid g;
    g.eszslGamma = {1, 0.1};
    g.hiddenSize = {100, 300};
    ZeroShotClassifier::Params best;
    best.eszslGamma = 0.1;
    best.hiddenSizes = {300};
    EXPECT_EQ(g.extend(best), 2);
    ASSERT_EQ(g.eszslGamma.size(), 3u);
    EXPECT_NEAR(g.eszslGamma[0], 0.01, 1e-15);
    EXPECT_EQ(g.hiddenSize, (std::vector<int>{100, 300, 900}));
    // A zero regulariser is a floor.
    HyperParamGrid z;
    z.eszslLambda = {0, 1};
    best.eszslLambda = 0;
    EXPECT_EQ(z.extend(best), 0);
}

TEST(ZSL_GridSearch, badGridsAreRejected)
{
    CountingScorer s;
    s.objective = [](const ZeroShotClassifier::Params&) { return 0.0; };
    HyperParamGrid grid;
    grid.learningRate = {0, 1e-3};
    EXPECT_THROW(cv::zsl::detail::searchGrid(grid, ZeroShotClassifier::Params(), wrap(s)), cv::Exception);
    grid.learningRate = {1e-3};
    grid.maxExtensions = -1;
    EXPECT_THROW(cv::zsl::detail::searchGrid(grid, ZeroShotClassifier::Params(), wrap(s)), cv::Exception);
    grid.maxExtensions = 2;
    grid.epochs = {0, 5};
    EXPECT_THROW(cv::zsl::detail::searchGrid(grid, ZeroShotClassifier::Params(), wrap(s)), cv::Exception);
    EXPECT_EQ(s.calls, 0);
}

// Few noisy samples in many dimensions: ESZSL needs a strong visual-side regulariser, beyond {0.01, 0.1}.
static zsltest::SyntheticProblem overfittingProblem()
{
    zsltest::SyntheticOptions o;
    o.featureDim = 64;
    o.trainPerClass = 4;
    o.noise = 0.3;
    return zsltest::makeSyntheticProblem(o);
}

TEST(ZSL_GridSearch, kFoldOnRealTrainingMatchesTheFixedListOfItsFinalGrid)
{
    zsltest::SyntheticProblem p = overfittingProblem();
    HyperParamGrid grid;
    grid.eszslGamma = {1e-2, 1e-1}; // measured profile: 0.475, 0.5875, 0.7375 (1), 0.8 (10), 0.45 (100)
    grid.eszslLambda = {1e-2};
    grid.maxExtensions = 8;
    ModelSelectionResult r = selectHyperParamsOnGridKFold(p.trainX, p.trainY, p.seen, grid, ZeroShotClassifier::Params(), 4);
    EXPECT_EQ(r.extensions, 3); // 1, 10, 100
    EXPECT_NEAR(r.best.eszslGamma, 10.0, 1e-9);
    EXPECT_FALSE(r.stoppedAtBound);
    // The same candidates as an explicit list give the same scores.
    ModelSelectionResult fixed = selectHyperParamsKFold(p.trainX, p.trainY, p.seen, r.candidates, 4);
    ASSERT_EQ(fixed.scores.size(), r.scores.size());
    for (size_t c = 0; c < r.scores.size(); c++)
        EXPECT_DOUBLE_EQ(fixed.scores[c], r.scores[c]) << "candidate " << c;
    EXPECT_EQ(fixed.bestIndex, r.bestIndex);
    EXPECT_GT(r.scores[r.bestIndex], r.scores[0] + 0.05);
}

TEST(ZSL_GridSearch, saeDirectionIsChosenAndRowsOutsideTheSplitAreNeverRead)
{
    // Rows outside trainIndices / valIndices stand for unseen and test data: poisoned, the choice must not move.
    zsltest::SyntheticProblem p = overfittingProblem();
    Mat X, y;
    cv::vconcat(p.trainX, p.testSeenX, X);
    cv::vconcat(p.trainY, p.testSeenY, y);
    std::vector<int> trainIdx, valIdx;
    for (int i = 0; i < p.trainX.rows; i++)
        (p.trainY.at<int>(i) < 14 ? trainIdx : valIdx).push_back(i);
    Mat poisoned = X.clone();
    cv::RNG rng(3);
    rng.fill(poisoned.rowRange(p.trainX.rows, X.rows), cv::RNG::NORMAL, 0, 100);

    ZeroShotClassifier::Params base;
    base.method = ZeroShotClassifier::SAE;
    base.normalizeFeatures = true;
    HyperParamGrid grid;
    grid.saeLambda = {0.2, 1, 5};
    grid.saeDirection = {0, 1};
    ModelSelectionResult clean = selectHyperParamsOnGrid(X, y, p.seen, grid, base, trainIdx, valIdx);
    ModelSelectionResult dirty = selectHyperParamsOnGrid(poisoned, y, p.seen, grid, base, trainIdx, valIdx);
    ASSERT_EQ(clean.scores.size(), dirty.scores.size());
    EXPECT_GE(clean.scores.size(), 6u);
    for (size_t c = 0; c < clean.scores.size(); c++)
        EXPECT_EQ(clean.scores[c], dirty.scores[c]) << "candidate " << c;
    EXPECT_EQ(clean.bestIndex, dirty.bestIndex);
    EXPECT_EQ(clean.best.saeDirection, dirty.best.saeDirection);
    EXPECT_EQ(clean.best.saeLambda, dirty.best.saeLambda);
    // Both directions were scored.
    bool dir0 = false, dir1 = false;
    for (const ZeroShotClassifier::Params& c : clean.candidates)
        (c.saeDirection ? dir1 : dir0) = true;
    EXPECT_TRUE(dir0 && dir1);
}

}} // namespace
