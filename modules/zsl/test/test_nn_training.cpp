// This file is part of the opencv_zsl module (cv::zsl).
// Training engine: class-disjoint splits, the epoch loop, early stopping, progress reports.
#include "test_precomp.hpp"
#include "test_nn_common.hpp"
#include "nn/nn_training.hpp"
#include <set>

namespace opencv_test { namespace {

using namespace cv::zsl::detail;
using namespace cv::zsl::detail::nn;

static std::vector<int> blockLabels(int classes, int perClass)
{
    std::vector<int> y;
    for (int c = 0; c < classes; c++)
        for (int k = 0; k < perClass; k++)
            y.push_back(c);
    return y;
}

TEST(ZSL_NN_Training, classSplitIsDisjointCompleteAndSeeded)
{
    std::vector<int> y = blockLabels(20, 3);
    Rng a(31), b(31), c(32);
    ClassSplit s = splitClasses(y, 20, 0.2, a);
    ClassSplit t = splitClasses(y, 20, 0.2, b);
    ClassSplit u = splitClasses(y, 20, 0.2, c);
    EXPECT_EQ(s.valClasses, t.valClasses);
    EXPECT_NE(s.valClasses, u.valClasses); // a different seed holds out other classes (fixed seeds: known)
    ASSERT_EQ(s.valClasses.size(), 4u);
    ASSERT_EQ(s.trainClasses.size(), 16u);
    std::set<int> val(s.valClasses.begin(), s.valClasses.end());
    for (int cl : s.trainClasses)
        EXPECT_EQ(val.count(cl), 0u);
    EXPECT_EQ(s.trainRows.size() + s.valRows.size(), y.size());
    for (size_t i = 0; i < s.valRows.size(); i++)
        EXPECT_EQ(s.valClasses[s.valLabels[i]], y[s.valRows[i]]);
    for (size_t i = 0; i < s.trainRows.size(); i++)
        EXPECT_EQ(s.trainClasses[s.trainLabels[i]], y[s.trainRows[i]]);

    Rng d(1);
    ClassSplit none = splitClasses(y, 20, 0.0, d);
    EXPECT_FALSE(none.hasValidation());
    EXPECT_EQ(none.trainRows.size(), y.size());
    Rng e(1);
    EXPECT_THROW(splitClasses(blockLabels(3, 2), 3, 0.5, e), cv::Exception);
    EXPECT_THROW(splitClasses(y, 20, 1.0, e), cv::Exception);
    EXPECT_THROW(splitClasses(std::vector<int>{0, 5}, 3, 0.0, e), cv::Exception);
}

TEST(ZSL_NN_Training, everyRowOncePerEpochInMinibatches)
{
    const int rows = 103;
    EpochOptions o;
    o.epochs = 3;
    o.batchSize = 10;
    std::vector<int> seen(rows, 0);
    int batches = 0, calls = 0;
    EpochFunctions fn;
    fn.step = [&](const int* idx, int n) {
        EXPECT_LE(n, 10);
        for (int i = 0; i < n; i++)
            seen[idx[i]]++;
        batches++;
        return 1.0;
    };
    Rng rng(33);
    EpochSummary s = runEpochs(rows, o, rng, fn, [&](const cv::zsl::TrainingProgress& p) {
        calls++;
        EXPECT_EQ(p.epoch, calls);
        EXPECT_EQ(p.epochs, 3);
        EXPECT_DOUBLE_EQ(p.loss, 1.0);
        EXPECT_EQ(p.validationAccuracy, -1);
    });
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(batches, 3 * 11);
    EXPECT_EQ(s.epochsRun, 3);
    for (int v : seen)
        ASSERT_EQ(v, 3);
}

TEST(ZSL_NN_Training, earlyStoppingKeepsTheBestEpoch)
{
    const std::vector<double> accuracy = {0.2, 0.5, 0.4, 0.6, 0.55, 0.58, 0.3, 0.9};
    EpochOptions o;
    o.epochs = (int)accuracy.size();
    o.batchSize = 4;
    o.patience = 3;
    int epoch = 0, saved = -1, restored = -1;
    EpochFunctions fn;
    fn.step = [&](const int*, int) { return 0.5; };
    fn.validate = [&]() { return accuracy[epoch++]; };
    fn.saveBest = [&]() { saved = epoch; };
    fn.restoreBest = [&]() { restored = saved; };
    int reports = 0;
    Rng rng(34);
    EpochSummary s = runEpochs(8, o, rng, fn, [&](const cv::zsl::TrainingProgress& p) {
        reports++;
        EXPECT_EQ(p.validationAccuracy, accuracy[p.epoch - 1]);
    });
    EXPECT_EQ(s.bestEpoch, 4);          // 0.6
    EXPECT_EQ(s.epochsRun, 7);          // 3 epochs without improvement after epoch 4
    EXPECT_EQ(reports, 7);
    EXPECT_DOUBLE_EQ(s.bestValidation, 0.6);
    EXPECT_EQ(restored, 4);
}

TEST(ZSL_NN_Training, divergenceIsReported)
{
    EpochOptions o;
    EpochFunctions fn;
    fn.step = [](const int*, int) { return std::numeric_limits<double>::quiet_NaN(); };
    Rng rng(35);
    EXPECT_THROW(runEpochs(5, o, rng, fn, cv::zsl::TrainingCallback()), cv::Exception);
    fn.step = [](const int*, int) { return 1.0; };
    o.batchSize = 0;
    EXPECT_THROW(runEpochs(5, o, rng, fn, cv::zsl::TrainingCallback()), cv::Exception);
}

TEST(ZSL_NN_Training, perClassTop1AndCosineSimilarity)
{
    RowMatrixXf s(4, 2);
    s << 1, 0,
         0, 1,
         0, 1,
         0, 1;
    // class 0: 1/1 correct; class 1: 2/3 correct (row 1 labelled 0 is wrong -> class 0: 1/2)
    std::vector<int> y = {0, 0, 1, 1};
    EXPECT_DOUBLE_EQ(perClassTop1(s, y), (0.5 + 1.0) / 2);
    RowMatrixXf a(2, 2), b(3, 2);
    a << 1, 0, 3, 4;
    b << 2, 0, 0, 1, 0, 0;
    RowMatrixXf c = cosineSimilarity(a, b);
    EXPECT_NEAR(c(0, 0), 1.f, 1e-6f);
    EXPECT_NEAR(c(1, 0), 0.6f, 1e-6f);
    EXPECT_NEAR(c(1, 1), 0.8f, 1e-6f);
    EXPECT_EQ(c(0, 2), 0.f);
}

}} // namespace
