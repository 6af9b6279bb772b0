// This file is part of the opencv_zsl module (cv::zsl).
// Serving while registering classes: predict/computeScores/predictAttributes/predictImages racing addClass,
// setUnseenClasses, setMode and setCalibration (the header's thread-safety contract). Each reader call is
// checked against a serial reference: it must match one consistent state, old or new. tools/run_sanitizers.sh
// runs these tests under ThreadSanitizer (filter *oncurrent*).
#include "test_precomp.hpp"
#include <atomic>
#include <iostream>
#include <set>
#include <thread>

namespace opencv_test { namespace {

using namespace cv::zsl;

const int kReaders = 4;
const float kGamma = 0.25f;

// Largest |a - b| relative to the largest |b|.
double relDiff(const Mat& a, const Mat& b)
{
    return cv::norm(a, b, NORM_INF) / std::max(cv::norm(b, NORM_INF), 1e-30);
}

Ptr<ZeroShotClassifier> copyOf(const Ptr<ZeroShotClassifier>& zsl)
{
    FileStorage out(".yml", FileStorage::WRITE | FileStorage::MEMORY);
    out << "root" << "{";
    zsl->write(out);
    out << "}";
    FileStorage in(out.releaseAndGetString(), FileStorage::READ | FileStorage::MEMORY);
    Ptr<ZeroShotClassifier> copy = ZeroShotClassifier::create(zsl->getParams(), zsl->getEncoder());
    copy->read(in["root"]);
    return copy;
}

struct ReaderStats
{
    std::atomic<long> scoreCalls{0}, predictCalls{0}, attributeCalls{0}, imageCalls{0};
    std::atomic<long> failures{0};
    std::atomic<int> largestTableSeen{0};
    std::string firstFailure;
    std::mutex failureMutex;
    void fail(const std::string& what)
    {
        if (failures++ == 0)
        {
            std::lock_guard<std::mutex> lock(failureMutex);
            firstFailure = what;
        }
    }
};

// Checks one predict() result against the reference scores of every class (rows x all classes): labels valid,
// scores best first, each score the reference score minus one calibration constant applied to seen classes
// only, the same constant across the whole call, and seen classes only when some call could be in GZSL mode.
void checkPrediction(const Mat& labels, const Mat& scores, const Mat& reference, int numSeen, ReaderStats& stats)
{
    std::set<int> gammas; // calibration constants this call applied (0: none, 1: kGamma)
    const float tol = 1e-5f * (float)cv::norm(reference, NORM_INF) + 1e-6f;
    for (int i = 0; i < labels.rows; i++)
        for (int k = 0; k < labels.cols; k++)
        {
            const int l = labels.at<int>(i, k);
            if (l < 0 || l >= reference.cols)
                return stats.fail(cv::format("predict: label %d outside [0, %d)", l, reference.cols));
            const float s = scores.at<float>(i, k);
            if (k > 0 && s > scores.at<float>(i, k - 1))
                return stats.fail("predict: scores not best first");
            const float offset = reference.at<float>(i, l) - s;
            if (l >= numSeen)
            {
                if (std::abs(offset) > tol)
                    return stats.fail(cv::format("predict: unseen score off by %g", offset));
            }
            else
            {
                const bool uncalibrated = std::abs(offset) <= tol, calibrated = std::abs(offset - kGamma) <= tol;
                const int g = calibrated ? 1 : 0;
                if (!uncalibrated && !calibrated)
                    return stats.fail(cv::format("predict: seen score offset %g is no calibration constant", offset));
                gammas.insert(g);
            }
        }
    if (gammas.size() > 1)
        stats.fail("predict: one call applied two calibration constants (a mixture of two states)");
}

class ZSL_ConcurrentServing : public ::testing::Test
{
protected:
    void SetUp() override
    {
        zsltest::SyntheticOptions o;
        o.featureDim = 8; // the tiny Darknet encoder's output
        problem = zsltest::makeSyntheticProblem(o);
        dir = zsltest::tempDir();
        zsltest::writeTinyDarknet(dir, true, o.featureDim);
        EncoderPreprocessing pre = EncoderPreprocessing::torchvision(Size(32, 32), 0);
        Ptr<VisualEncoder> encoder = VisualEncoder::create(dir + "/tiny.weights", dir + "/tiny.cfg", pre);

        ZeroShotClassifier::Params params;
        params.eszslGamma = 1e-2;
        params.eszslLambda = 1e-2;
        zsl = ZeroShotClassifier::create(params, encoder);
        zsl->train(problem.trainX, problem.trainY, problem.seen);
        zsl->setUnseenClasses(problem.unseen);

        vconcat(problem.testSeenX, problem.testUnseenX, X);
        RNG rng(5);
        for (int i = 0; i < 6; i++)
        {
            Mat img(40 + 3 * i, 36 + 5 * i, CV_8UC3);
            rng.fill(img, RNG::UNIFORM, 0, 256);
            images.push_back(img);
        }
    }

    zsltest::SyntheticProblem problem;
    std::string dir;
    Ptr<ZeroShotClassifier> zsl;
    Mat X;
    std::vector<Mat> images;
};

TEST_F(ZSL_ConcurrentServing, predictWhileRegisteringThousandsOfClasses)
{
    const int numAdded = 3000;
    const int numSeen = problem.seen.size();
    const int numBase = numSeen + problem.unseen.size();
    std::vector<Mat> prototypes(numAdded);
    RNG rng(99);
    for (Mat& p : prototypes)
    {
        p.create(1, problem.seen.dims(), CV_32F);
        rng.fill(p, RNG::UNIFORM, 0.0, 1.0);
    }

    // Serial reference: the same classifier with every class registered.
    Ptr<ZeroShotClassifier> full = copyOf(zsl);
    for (int i = 0; i < numAdded; i++)
        full->addClass(cv::format("extra%d", i), prototypes[i]);
    Mat reference, imageFeatures, imageReference, attributes0;
    full->computeScores(X, reference);
    zsl->extractFeatures(images, imageFeatures);
    full->computeScores(imageFeatures, imageReference);
    zsl->predictAttributes(X, attributes0);
    ASSERT_EQ(reference.cols, numBase + numAdded);

    ReaderStats stats;
    std::atomic<bool> done{false};
    std::vector<std::thread> readers;
    for (int t = 0; t < kReaders; t++)
        readers.emplace_back([&, t] {
            try
            {
                for (long iter = 0; !done.load(); iter++)
                {
                    switch ((iter + t) % 4)
                    {
                    case 0:
                    {
                        Mat S;
                        zsl->computeScores(X, S);
                        if (S.rows != X.rows || S.cols < numBase || S.cols > reference.cols)
                            stats.fail(cv::format("computeScores: %d x %d", S.rows, S.cols));
                        else if (relDiff(S, reference.colRange(0, S.cols)) > 1e-5)
                            stats.fail("computeScores: scores differ from the serial reference");
                        int seenSoFar = stats.largestTableSeen.load();
                        while (S.cols > seenSoFar && !stats.largestTableSeen.compare_exchange_weak(seenSoFar, S.cols))
                        {
                        }
                        stats.scoreCalls++;
                        break;
                    }
                    case 1:
                    {
                        Mat labels, scores;
                        zsl->predict(X, labels, scores, 3);
                        checkPrediction(labels, scores, reference, numSeen, stats);
                        stats.predictCalls++;
                        break;
                    }
                    case 2:
                    {
                        Mat A;
                        zsl->predictAttributes(X, A);
                        if (cv::norm(A, attributes0, NORM_INF) != 0)
                            stats.fail("predictAttributes changed while classes were registered");
                        stats.attributeCalls++;
                        break;
                    }
                    default:
                    {
                        Mat labels, scores;
                        zsl->predictImages(images, labels, scores, 2);
                        checkPrediction(labels, scores, imageReference, numSeen, stats);
                        stats.imageCalls++;
                    }
                    }
                }
            }
            catch (const std::exception& e)
            {
                stats.fail(std::string("reader threw: ") + e.what());
            }
        });

    // The writer: thousands of registrations, the mode and the calibration flipped between them.
    for (int i = 0; i < numAdded; i++)
    {
        EXPECT_EQ(zsl->addClass(cv::format("extra%d", i), prototypes[i]), numBase + i);
        if (i % 37 == 0)
            zsl->setMode(zsl->getMode() == ZeroShotClassifier::MODE_ZSL ? ZeroShotClassifier::MODE_GZSL
                                                                         : ZeroShotClassifier::MODE_ZSL);
        if (i % 23 == 0)
            zsl->setCalibration(zsl->getCalibration() == 0 ? kGamma : 0.0);
    }
    // Let the readers see the final table too.
    while (stats.largestTableSeen.load() < reference.cols && stats.failures.load() == 0)
        std::this_thread::yield();
    done = true;
    for (std::thread& th : readers)
        th.join();

    std::cout << "[ concurrent ] " << numAdded << " addClass with " << kReaders << " readers: "
              << stats.scoreCalls << " computeScores, " << stats.predictCalls << " predict, "
              << stats.attributeCalls << " predictAttributes, " << stats.imageCalls << " predictImages, "
              << stats.failures << " inconsistent" << std::endl;
    EXPECT_EQ(stats.failures.load(), 0) << stats.firstFailure;
    EXPECT_GT(stats.scoreCalls.load() + stats.predictCalls.load(), 0);
    EXPECT_EQ(zsl->getClasses().size(), numBase + numAdded);

    // After the race the classifier equals the serial one.
    Mat after;
    zsl->computeScores(X, after);
    EXPECT_LE(relDiff(after, reference), 1e-5);
}

TEST_F(ZSL_ConcurrentServing, setUnseenClassesSwapsWholeTables)
{
    // Two unseen sets of different sizes: every reader call must see exactly one of them.
    const ClassPrototypes setA = problem.unseen;
    std::vector<int> firstHalf;
    for (int i = 0; i < setA.size() / 2; i++)
        firstHalf.push_back(i);
    const ClassPrototypes setB = setA.subset(firstHalf);
    Ptr<ZeroShotClassifier> b = copyOf(zsl);
    b->setUnseenClasses(setB);
    Mat refA, refB;
    zsl->computeScores(X, refA);
    b->computeScores(X, refB);
    ASSERT_NE(refA.cols, refB.cols);

    ReaderStats stats;
    std::atomic<bool> done{false};
    std::atomic<long> sawA{0}, sawB{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < kReaders; t++)
        readers.emplace_back([&] {
            try
            {
                while (!done.load())
                {
                    Mat S;
                    zsl->computeScores(X, S);
                    if (S.cols == refA.cols && relDiff(S, refA) <= 1e-6)
                        sawA++;
                    else if (S.cols == refB.cols && relDiff(S, refB) <= 1e-6)
                        sawB++;
                    else
                        stats.fail(cv::format("computeScores: %d columns match neither class table", S.cols));
                    Mat labels, scores;
                    zsl->predict(X, labels, scores, 1);
                    const ClassPrototypes classes = zsl->getClasses();
                    if (classes.size() != refA.cols && classes.size() != refB.cols)
                        stats.fail(cv::format("getClasses: %d classes", classes.size()));
                    stats.predictCalls++;
                }
            }
            catch (const std::exception& e)
            {
                stats.fail(std::string("reader threw: ") + e.what());
            }
        });
    const int swaps = 2000;
    for (int i = 0; i < swaps; i++)
        zsl->setUnseenClasses(i % 2 ? setA : setB);
    done = true;
    for (std::thread& th : readers)
        th.join();
    std::cout << "[ concurrent ] " << swaps << " setUnseenClasses: " << sawA << " calls saw table A, " << sawB
              << " table B, " << stats.failures << " inconsistent" << std::endl;
    EXPECT_EQ(stats.failures.load(), 0) << stats.firstFailure;
}

TEST_F(ZSL_ConcurrentServing, trainAndSetEncoderWhilePredicting)
{
    // Retraining publishes a new model; readers keep getting well-formed answers from the old or new one.
    ReaderStats stats;
    std::atomic<bool> done{false};
    std::vector<std::thread> readers;
    for (int t = 0; t < kReaders; t++)
        readers.emplace_back([&] {
            try
            {
                while (!done.load())
                {
                    Mat labels, scores, S;
                    zsl->predict(X, labels, scores, 2);
                    zsl->computeScores(X, S);
                    if (labels.rows != X.rows || S.rows != X.rows || cv::checkRange(S) == false)
                        stats.fail("malformed result while retraining");
                    stats.predictCalls++;
                }
            }
            catch (const std::exception& e)
            {
                stats.fail(std::string("reader threw: ") + e.what());
            }
        });
    for (int i = 0; i < 20; i++)
    {
        zsl->train(problem.trainX, problem.trainY, problem.seen);
        zsl->setEncoder(zsl->getEncoder());
    }
    done = true;
    for (std::thread& th : readers)
        th.join();
    EXPECT_EQ(stats.failures.load(), 0) << stats.firstFailure;
    EXPECT_EQ(zsl->getClasses().size(), problem.seen.size() + problem.unseen.size());
}

}} // namespace
