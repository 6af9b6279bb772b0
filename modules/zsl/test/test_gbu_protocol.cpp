// This file is part of the opencv_zsl module (cv::zsl).
// The GBU benchmark program (samples/zsl_benchmark.cpp) end to end: the real AWA2 att_splits.mat
// (class prototypes and image index splits) with features generated from the attributes and written
// in the res101.mat format by the MAT writer, so that the expected accuracies are known to be high.
#include "test_precomp.hpp"
#include "test_common.hpp"
#include <opencv2/zsl/gbu_dataset.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

namespace opencv_test {
namespace {

using namespace cv::zsl;

struct SyntheticGbu
{
    std::string featuresFile, splitsFile;
};

// Labels consistent with the real index splits: test_unseen images get the proposed split's unseen
// classes, val images a block of 13 seen classes, train images the other seen classes, test_seen images
// any seen class. Features x = W a_c + noise: a linear image of the class's attribute vector.
SyntheticGbu makeSyntheticAwa2(double noise, bool poisonTestRows = false)
{
    SyntheticGbu out;
    out.splitsFile = zsltest::sharedDataPath("gbu/AWA2/att_splits.mat");
    if (out.splitsFile.empty())
        return out;
    GbuSplits s = GbuSplits::read(out.splitsFile);
    const ClassPrototypes& P = s.prototypes;
    std::vector<int> unseen;
    std::ifstream names(zsltest::repoDataPath("awa2/testclasses.txt"));
    std::string name;
    while (std::getline(names, name))
        if (!name.empty() && P.indexOf(name) >= 0)
            unseen.push_back(P.indexOf(name));
    EXPECT_EQ(unseen.size(), 10u) << "data/awa2/testclasses.txt does not name the 10 AWA2 unseen classes";
    std::vector<int> seen, valClasses, trainClasses;
    for (int c = 0; c < P.size(); c++)
        if (std::find(unseen.begin(), unseen.end(), c) == unseen.end())
            seen.push_back(c);
    for (size_t i = 0; i < seen.size(); i++)
        (i % 3 == 0 && valClasses.size() < 13 ? valClasses : trainClasses).push_back(seen[i]);

    int n = 0;
    for (const std::vector<int>* v : {&s.trainval, &s.train, &s.val, &s.testSeen, &s.testUnseen})
        for (int i : *v)
            n = std::max(n, i + 1);
    std::vector<int> labels(n, seen[0]);
    auto assign = [&labels](const std::vector<int>& rows, const std::vector<int>& classes) {
        for (size_t k = 0; k < rows.size(); k++)
            labels[rows[k]] = classes[k % classes.size()];
    };
    assign(s.testSeen, seen);
    assign(s.train, trainClasses);
    assign(s.val, valClasses);
    assign(s.testUnseen, unseen);
    // trainval = train + val: the assignments above already cover it when the file has both.
    if (s.train.empty())
        assign(s.trainval, seen);

    const int D = 64;
    cv::RNG rng(20261123);
    cv::Mat W(P.dims(), D, CV_32F);
    rng.fill(W, cv::RNG::NORMAL, 0, 1);
    cv::Mat X(n, D, CV_32F);
    rng.fill(X, cv::RNG::NORMAL, 0, noise);
    for (int i = 0; i < n; i++)
        X.row(i) += P.vectors.row(labels[i]) * W;
    if (poisonTestRows) // test images replaced by large noise: anything tuned on them changes
        for (const std::vector<int>* v : {&s.testSeen, &s.testUnseen})
            for (int i : *v)
                rng.fill(X.row(i), cv::RNG::NORMAL, 0, 10);
    out.featuresFile = zsltest::tempDir() + "/res101.mat";
    writeGbuFeatures(out.featuresFile, X, labels);
    return out;
}

std::string benchmarkProgram()
{
    const char* dir = std::getenv("ZSL_BUILD_DIR");
    const std::string path = std::string(dir ? dir : "build") + "/zsl_benchmark";
    return std::filesystem::exists(path) ? path : std::string();
}

TEST(ZSL_GbuProtocol, synthetic_awa2_features_reach_known_accuracy)
{
    const std::string program = benchmarkProgram();
    if (program.empty())
        GTEST_SKIP() << "zsl_benchmark is not built (set ZSL_BUILD_DIR)";
    SyntheticGbu data = makeSyntheticAwa2(0.1);
    if (data.splitsFile.empty())
        GTEST_SKIP() << "gbu/AWA2/att_splits.mat not found (set ZSL_SHARED_DATA)";

    // The features file reads back through the dataset loader with the labels we wrote.
    GbuDataset ds = GbuDataset::load(data.featuresFile, data.splitsFile);
    ASSERT_EQ(ds.features.cols, 64);
    ASSERT_EQ(ds.seenClasses().size(), 40u);
    ASSERT_EQ(ds.unseenClasses().size(), 10u);

    const std::string json = zsltest::tempDir() + "/results.json";
    const std::string cmd = program + " --quick --methods=ESZSL,SAE --features=" + data.featuresFile + " --splits=" +
                            data.splitsFile + " --json=" + json + " > " + json + ".log 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    cv::FileStorage fs(json, cv::FileStorage::READ);
    ASSERT_TRUE(fs.isOpened());
    cv::FileNode results = fs["results"];
    ASSERT_TRUE(results.isSeq());
    int checked = 0;
    for (const cv::FileNode& r : results)
    {
        const std::string method = (std::string)r["method"];
        SCOPED_TRACE(method);
        // A linear image of the attributes is the easy case every linear method solves: unseen
        // accuracy far above the 10% chance level, and calibration must not lower H.
        EXPECT_GT((double)r["zsl"], 0.8);
        EXPECT_GT((double)r["val_zsl"], 0.7);
        EXPECT_GT((double)r["seen"], 0.8);
        EXPECT_GT((double)r["cal_H"], 0.6);
        EXPECT_GE((double)r["cal_H"] + 0.05, (double)r["H"]);
        checked++;
    }
    EXPECT_EQ(checked, 2);

    // The printed table in the GBU paper's layout: T1, u, s, H per dataset, in percent.
    std::ifstream log(json + ".log");
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("| Method | AWA2 T1 | AWA2 u | AWA2 s | AWA2 H |"), std::string::npos) << text;
    EXPECT_NE(text.find("GBU layout, as in the paper (no calibration), percent"), std::string::npos);
}

// The released GBU files: train_loc + val_loc hold test_seen_loc images; the selection rows never do.
TEST(ZSL_GbuProtocol, selection_rows_of_every_real_split_file_exclude_test_images)
{
    int files = 0;
    for (const char* name : {"AWA1/att_splits.mat", "AWA2/att_splits.mat", "CUB/att_splits.mat", "CUB/sent_splits.mat",
                             "SUN/att_splits.mat", "FLO/att_splits.mat"})
    {
        const std::string path = zsltest::sharedDataPath(std::string("gbu/") + name);
        if (path.empty())
            continue;
        SCOPED_TRACE(name);
        const GbuSplits s = GbuSplits::read(path);
        std::set<int> test(s.testSeen.begin(), s.testSeen.end()), trainval(s.trainval.begin(), s.trainval.end());
        test.insert(s.testUnseen.begin(), s.testUnseen.end());
        size_t leakedInFileLists = 0;
        for (const std::vector<int>* v : {&s.train, &s.val})
            for (int i : *v)
                leakedInFileLists += test.count(i);
        const std::vector<int> tr = s.selectionTrain(), va = s.selectionVal();
        EXPECT_GT(tr.size(), 0u);
        EXPECT_GT(va.size(), 0u);
        for (const std::vector<int>* v : {&tr, &va})
            for (int i : *v)
            {
                ASSERT_EQ(test.count(i), 0u) << "selection row " << i << " is a test image";
                ASSERT_EQ(trainval.count(i), 1u) << "selection row " << i << " is not in trainval_loc";
            }
        std::cout << "[ gbu ] " << name << ": train_loc+val_loc hold " << leakedInFileLists << " of "
                  << s.testSeen.size() << " test_seen images; selection uses " << tr.size() << " + " << va.size()
                  << " trainval rows" << std::endl;
        files++;
    }
    if (files == 0)
        GTEST_SKIP() << "no GBU split files in ../shared/data/gbu (set ZSL_SHARED_DATA)";
}

// Black box over zsl_benchmark: replacing every test image by noise must not change what model selection
// and calibration choose (they read no test row), only the final test figures.
TEST(ZSL_GbuProtocol, selection_and_calibration_read_no_test_image)
{
    const std::string program = benchmarkProgram();
    if (program.empty())
        GTEST_SKIP() << "zsl_benchmark is not built (set ZSL_BUILD_DIR)";
    SyntheticGbu clean = makeSyntheticAwa2(0.1), poisoned = makeSyntheticAwa2(0.1, true);
    if (clean.splitsFile.empty())
        GTEST_SKIP() << "gbu/AWA2/att_splits.mat not found (set ZSL_SHARED_DATA)";
    cv::FileStorage results[2];
    int k = 0;
    for (const SyntheticGbu* data : {&clean, &poisoned})
    {
        const std::string json = zsltest::tempDir() + "/results.json";
        const std::string cmd = program + " --quick --methods=ESZSL,SAE --features=" + data->featuresFile +
                                " --splits=" + data->splitsFile + " --json=" + json + " > " + json + ".log 2>&1";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        ASSERT_TRUE(results[k++].open(json, cv::FileStorage::READ));
    }
    cv::FileNode a = results[0]["results"], b = results[1]["results"];
    ASSERT_EQ(a.size(), 2u);
    ASSERT_EQ(b.size(), 2u);
    for (size_t i = 0; i < a.size(); i++)
    {
        SCOPED_TRACE((std::string)a[(int)i]["method"]);
        EXPECT_EQ((std::string)a[(int)i]["params"], (std::string)b[(int)i]["params"]);
        EXPECT_EQ((double)a[(int)i]["val_zsl"], (double)b[(int)i]["val_zsl"]);
        EXPECT_EQ((double)a[(int)i]["gamma"], (double)b[(int)i]["gamma"]);
        EXPECT_GT((double)a[(int)i]["zsl"], (double)b[(int)i]["zsl"] + 0.3); // the poison did reach the test
    }
}

TEST(ZSL_GbuProtocol, pure_noise_features_stay_near_chance)
{
    const std::string program = benchmarkProgram();
    if (program.empty())
        GTEST_SKIP() << "zsl_benchmark is not built (set ZSL_BUILD_DIR)";
    // Noise 100x the signal: the protocol must not leak test labels into the result.
    SyntheticGbu data = makeSyntheticAwa2(100.0);
    if (data.splitsFile.empty())
        GTEST_SKIP() << "gbu/AWA2/att_splits.mat not found (set ZSL_SHARED_DATA)";
    const std::string json = zsltest::tempDir() + "/results.json";
    const std::string cmd = program + " --quick --methods=ESZSL --features=" + data.featuresFile + " --splits=" +
                            data.splitsFile + " --json=" + json + " > " + json + ".log 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    cv::FileStorage fs(json, cv::FileStorage::READ);
    cv::FileNode r = fs["results"][0];
    ASSERT_FALSE(r.empty());
    EXPECT_LT((double)r["zsl"], 0.25); // 10 unseen classes: chance 0.1
}

}} // namespace opencv_test
