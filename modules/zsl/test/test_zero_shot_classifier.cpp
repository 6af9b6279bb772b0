// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <filesystem>
#include <fstream>

namespace opencv_test { namespace {

using namespace cv::zsl;
using zsltest::makeSyntheticProblem;

static Ptr<ZeroShotClassifier> trainedEszsl(const zsltest::SyntheticProblem& p)
{
    ZeroShotClassifier::Params params;
    params.eszslGamma = 1e-2;
    params.eszslLambda = 1e-2;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    return zsl;
}

TEST(ZSL_Classifier, predictReturnsSortedTopKOverUnseenCandidates)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = trainedEszsl(p);
    Mat labels, scores, all;
    zsl->predict(p.testUnseenX, labels, scores, 5);
    zsl->computeScores(p.testUnseenX, all);
    ASSERT_EQ(labels.size(), Size(5, p.testUnseenX.rows));
    ASSERT_EQ(all.cols, p.seen.size() + p.unseen.size());
    for (int i = 0; i < labels.rows; i++)
        for (int k = 0; k < 5; k++)
        {
            const int l = labels.at<int>(i, k);
            EXPECT_GE(l, p.seen.size()); // ZSL mode: unseen only
            EXPECT_EQ(scores.at<float>(i, k), all.at<float>(i, l));
            if (k > 0)
                EXPECT_GE(scores.at<float>(i, k - 1), scores.at<float>(i, k));
        }
}

TEST(ZSL_Classifier, gzslCalibrationRaisesHarmonicMean)
{
    // Seen-biased by construction: every class centre carries an offset its prototype does not explain
    // (domain shift), and with more attributes than seen classes the bilinear model can absorb the
    // offsets of the seen classes, so uncalibrated GZSL pulls unseen samples to seen classes.
    zsltest::SyntheticOptions o;
    o.numSeen = 20;
    o.attributeDim = 48;
    o.featureDim = 64;
    o.noise = 0.2;
    o.classDeviation = 0.2;
    o.testPerClass = 40;
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    Ptr<ZeroShotClassifier> zsl = trainedEszsl(p);
    zsl->setMode(ZeroShotClassifier::MODE_GZSL);

    // Even rows of every class choose the constant, odd rows measure it.
    Mat unseenTruth = p.testUnseenY + p.seen.size();
    Mat valX, valY, testX, testY;
    for (int part = 0; part < 2; part++)
        for (const auto& split : {std::make_pair(p.testSeenX, p.testSeenY), std::make_pair(p.testUnseenX, unseenTruth)})
            for (int i = part; i < split.first.rows; i += 2)
            {
                (part == 0 ? valX : testX).push_back(split.first.row(i));
                (part == 0 ? valY : testY).push_back(split.second.at<int>(i));
            }
    std::vector<uchar> seenMask(p.seen.size() + p.unseen.size(), 0);
    std::fill(seenMask.begin(), seenMask.begin() + p.seen.size(), 1);
    auto evaluate = [&](double gamma) {
        zsl->setCalibration(gamma);
        Mat labels, scores;
        zsl->predict(testX, labels, scores, 1);
        return evaluateGzsl(labels, testY, seenMask);
    };

    const GzslAccuracy raw = evaluate(0.0);
    EXPECT_GT(raw.seen, raw.unseen + 0.5); // the bias the calibration must correct
    GzslAccuracy onValidation;
    const double gamma = selectCalibration(zsl, valX, valY, onValidation);
    EXPECT_GT(gamma, 0.0);
    const GzslAccuracy calibrated = evaluate(gamma);
    EXPECT_GT(calibrated.unseen, raw.unseen + 0.2);
    EXPECT_GT(calibrated.harmonic, raw.harmonic + 0.2);
    EXPECT_GT(onValidation.harmonic, raw.harmonic + 0.2);
}

TEST(ZSL_Classifier, addClassAtRunTimeWithoutRetraining)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = trainedEszsl(p);
    ClassPrototypes before = zsl->getClasses();
    // Register one more unseen class: the prototype of unseen class 0 under a new name, and remove nothing.
    Mat proto = p.unseen.vectors.row(0) * 1.0f;
    const int idx = zsl->addClass("twin_of_class_20", proto);
    EXPECT_EQ(idx, before.size());
    EXPECT_EQ(zsl->getClasses().size(), before.size() + 1);
    Mat labels, scores;
    zsl->predict(p.testUnseenX.row(0), labels, scores, 2);
    // Identical prototypes give identical scores: the two top labels are the original and its twin.
    EXPECT_EQ(scores.at<float>(0, 0), scores.at<float>(0, 1));
    EXPECT_THROW(zsl->addClass("twin_of_class_20", proto), cv::Exception);
    EXPECT_THROW(zsl->addClass("short", proto.colRange(0, 3)), cv::Exception);
    EXPECT_THROW(zsl->addClass("", proto), cv::Exception);
}

TEST(ZSL_Classifier, predictAttributesHasPrototypeDimension)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = trainedEszsl(p);
    Mat attrs;
    zsl->predictAttributes(p.testUnseenX, attrs);
    EXPECT_EQ(attrs.size(), Size(p.seen.dims(), p.testUnseenX.rows));
    EXPECT_EQ(attrs.type(), CV_32F);
}

class ZSL_ClassifierPersistence : public ::testing::TestWithParam<std::string> {};

TEST_P(ZSL_ClassifierPersistence, saveLoadGivesBitIdenticalScores)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = trainedEszsl(p);
    zsl->setMode(ZeroShotClassifier::MODE_GZSL);
    zsl->setCalibration(0.25);
    const std::string path = zsltest::tempDir() + "/model" + GetParam();
    zsl->save(path);
    Ptr<ZeroShotClassifier> loaded = ZeroShotClassifier::load(path);
    Mat a, b, la, lb, sa, sb;
    zsl->computeScores(p.testUnseenX, a);
    loaded->computeScores(p.testUnseenX, b);
    EXPECT_EQ(cv::norm(a, b, NORM_INF), 0.0);
    zsl->predict(p.testSeenX, la, sa, 3);
    loaded->predict(p.testSeenX, lb, sb, 3);
    EXPECT_EQ(cv::norm(la, lb, NORM_INF), 0.0);
    EXPECT_EQ(cv::norm(sa, sb, NORM_INF), 0.0);
    EXPECT_EQ(loaded->getMode(), ZeroShotClassifier::MODE_GZSL);
    EXPECT_EQ(loaded->getCalibration(), 0.25);
    EXPECT_EQ(loaded->getClasses().names, zsl->getClasses().names);
}

INSTANTIATE_TEST_CASE_P(Formats, ZSL_ClassifierPersistence,
                        ::testing::Values(std::string(".yml"), std::string(".yml.gz"), std::string(".xml"), std::string(".json")));

TEST(ZSL_Classifier, badInputRaises)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create();
    Mat labels, scores;
    EXPECT_THROW(zsl->predict(p.testUnseenX, labels, scores), cv::Exception); // untrained
    EXPECT_THROW(zsl->train(Mat(), p.trainY, p.seen), cv::Exception);
    EXPECT_THROW(zsl->train(p.trainX.rowRange(0, 10), p.trainY, p.seen), cv::Exception); // count mismatch
    Mat badLabels = p.trainY.clone();
    badLabels.at<int>(3) = p.seen.size();
    EXPECT_THROW(zsl->train(p.trainX, badLabels, p.seen), cv::Exception);
    Mat nanX = p.trainX.clone();
    nanX.at<float>(5, 2) = NAN;
    EXPECT_THROW(zsl->train(nanX, p.trainY, p.seen), cv::Exception);

    zsl = trainedEszsl(p);
    EXPECT_THROW(zsl->predict(p.testUnseenX.colRange(0, 5), labels, scores), cv::Exception); // wrong dim
    EXPECT_THROW(zsl->predict(p.testUnseenX, labels, scores, 0), cv::Exception);
    EXPECT_THROW(zsl->predict(p.testUnseenX, labels, scores, p.unseen.size() + 1), cv::Exception);
    EXPECT_THROW(zsl->setMode(7), cv::Exception);
    EXPECT_THROW(zsl->setCalibration(NAN), cv::Exception);
    EXPECT_THROW(zsl->setUnseenClasses(p.seen), cv::Exception); // names clash with seen classes
    EXPECT_THROW(zsl->extractFeatures(Mat::zeros(8, 8, CV_8U), labels), cv::Exception); // no encoder
    ZeroShotClassifier::Params bad;
    bad.method = 42;
    EXPECT_THROW(ZeroShotClassifier::create(bad), cv::Exception);
}

TEST(ZSL_Classifier, loadRejectsCorruptAndForeignFiles)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = trainedEszsl(p);
    const std::string dir = zsltest::tempDir();
    EXPECT_THROW(ZeroShotClassifier::load(dir + "/missing.yml"), cv::Exception);

    zsl->save(dir + "/good.yml");
    std::ifstream in(dir + "/good.yml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    zsltest::writeTextFile(dir + "/truncated.yml", text.substr(0, text.size() / 2));
    EXPECT_THROW(ZeroShotClassifier::load(dir + "/truncated.yml"), cv::Exception);

    std::string wrongVersion = text;
    wrongVersion.replace(wrongVersion.find("format_version: 1"), 17, "format_version: 9");
    zsltest::writeTextFile(dir + "/version.yml", wrongVersion);
    EXPECT_THROW(ZeroShotClassifier::load(dir + "/version.yml"), cv::Exception);

    std::string wrongKind = text;
    wrongKind.replace(wrongKind.find("kind: ZeroShotClassifier"), 24, "kind: SomethingElse");
    zsltest::writeTextFile(dir + "/kind.yml", wrongKind);
    EXPECT_THROW(ZeroShotClassifier::load(dir + "/kind.yml"), cv::Exception);

    // Hostile matrix header: rows x cols far beyond the data present must be refused before allocation.
    std::string hostile = text;
    const size_t at = hostile.find("rows: ", hostile.find("seen_vectors"));
    hostile.replace(at, hostile.find('\n', at) - at, "rows: 2000000000");
    zsltest::writeTextFile(dir + "/hostile.yml", hostile);
    EXPECT_THROW(ZeroShotClassifier::load(dir + "/hostile.yml"), cv::Exception);

    zsltest::writeTextFile(dir + "/foreign.yml", "%YAML:1.0\n---\nsomething: 1\n");
    EXPECT_THROW(ZeroShotClassifier::load(dir + "/foreign.yml"), cv::Exception);
    zsltest::writeTextFile(dir + "/garbage.yml", std::string("\x01\x02\xff garbage {{{", 16));
    EXPECT_THROW(ZeroShotClassifier::load(dir + "/garbage.yml"), cv::Exception);
}

TEST(ZSL_Classifier, saveReplacesAtomically)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = trainedEszsl(p);
    const std::string dir = zsltest::tempDir();
    zsl->save(dir + "/m.yml");
    zsl->save(dir + "/m.yml"); // over an existing file
    EXPECT_NO_THROW(ZeroShotClassifier::load(dir + "/m.yml"));
    // A failing save leaves no temporary file behind and no target.
    EXPECT_THROW(zsl->save(dir + "/no_such_dir/m.yml"), cv::Exception);
    int entries = 0;
    for (auto& e : std::filesystem::directory_iterator(dir))
    {
        (void)e;
        entries++;
    }
    EXPECT_EQ(entries, 1);
}

}} // namespace

namespace opencv_test { namespace {

// Continuous CV_32F input is scored in place and the linear methods check their scores, not the input:
// a NaN or Inf anywhere must still be reported with its row and column, through every entry point.
TEST(ZSL_Classifier, nonFiniteFeaturesAreNamedOnTheZeroCopyPath)
{
    zsltest::SyntheticProblem p = zsltest::makeSyntheticProblem();
    // CONSE, GENERATIVE and F_CLSWGAN (softmax of affine logits) also check their scores instead of the input.
    for (int method : {ZeroShotClassifier::ESZSL, ZeroShotClassifier::SAE, ZeroShotClassifier::DEVISE,
                       ZeroShotClassifier::CONSE, ZeroShotClassifier::GENERATIVE, ZeroShotClassifier::F_CLSWGAN})
        for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()})
        {
            ZeroShotClassifier::Params params;
            params.method = method;
            params.epochs = 2;
            params.hiddenSizes = {16};
            params.latentDim = 4;
            params.syntheticPerClass = 20;
            Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
            zsl->train(p.trainX, p.trainY, p.seen);
            zsl->setUnseenClasses(p.unseen);
            Mat X = p.testUnseenX.clone();
            X.at<float>(7, 3) = bad;
            Mat out, labels, scores;
            for (int call = 0; call < 3; call++)
            {
                SCOPED_TRACE(cv::format("method %d, value %g, call %d", method, bad, call));
                try
                {
                    if (call == 0)
                        zsl->computeScores(X, out);
                    else if (call == 1)
                        zsl->predict(X, labels, scores, 1);
                    else
                        zsl->predictAttributes(X, out);
                    ADD_FAILURE() << "non-finite feature accepted";
                }
                catch (const cv::Exception& e)
                {
                    EXPECT_NE(e.err.find("row 7, column 3"), std::string::npos) << e.err;
                }
            }
            // A view into a larger matrix (not continuous) takes the copying path: same answer.
            Mat wide(X.rows, X.cols + 5, CV_32F, Scalar(0));
            X.copyTo(wide.colRange(0, X.cols));
            EXPECT_THROW(zsl->computeScores(wide.colRange(0, X.cols), out), cv::Exception);
            // Finite input: the in-place and the copied path give identical scores.
            Mat clean = p.testUnseenX, S1, S2;
            zsl->computeScores(clean, S1);
            X = clean.clone();
            X.copyTo(wide.colRange(0, X.cols));
            zsl->computeScores(wide.colRange(0, X.cols), S2);
            EXPECT_EQ(cv::norm(S1, S2, NORM_INF), 0);
        }
}

}} // namespace
