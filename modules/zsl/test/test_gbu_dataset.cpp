// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl;

static std::string errorOf(const std::function<void()>& f)
{
    try
    {
        f();
    }
    catch (const cv::Exception& e)
    {
        return e.what();
    }
    return std::string();
}

// A small benchmark in the GBU layout: 4 classes (2 seen, 2 unseen), 3 images per class.
struct SmallBenchmark
{
    GbuSplits splits;
    Mat features, labels;
    std::vector<cv::String> files;
    std::string dir;

    SmallBenchmark()
    {
        dir = zsltest::tempDir();
        splits.prototypes = ClassPrototypes({ "zebra", "horse", "sheep", "bat" },
                                            Mat((Mat_<float>(4, 3) << 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0)));
        features.create(12, 5, CV_32F);
        cv::RNG rng(3);
        rng.fill(features, cv::RNG::UNIFORM, -1.0, 1.0);
        features.at<float>(0, 0) = 0.1f; // not exactly representable in binary: must survive float->double->float
        labels.create(12, 1, CV_32S);
        for (int i = 0; i < 12; i++)
        {
            labels.at<int>(i) = i / 3;
            files.push_back(cv::format("JPEGImages/%s/%d.jpg", splits.prototypes.names[i / 3].c_str(), i));
        }
        splits.trainval = { 0, 1, 3, 4 };
        splits.train = { 0, 3 };
        splits.val = { 1, 4 };
        splits.testSeen = { 2, 5 };
        splits.testUnseen = { 6, 7, 8, 9, 10, 11 };
    }
    std::string splitsPath() const { return dir + "/att_splits.mat"; }
    std::string featuresPath() const { return dir + "/res101.mat"; }
    void write() const
    {
        splits.write(splitsPath());
        writeGbuFeatures(featuresPath(), features, labels, files);
    }
};

TEST(ZSL_GbuDataset, writeLoadRoundTrip)
{
    SmallBenchmark b;
    b.write();
    // The files have the GBU layout: 1-based, features D x N, prototypes as columns.
    MatFile res(b.featuresPath());
    EXPECT_EQ(res.size("features"), std::vector<int>({ 5, 12 }));
    EXPECT_EQ(res.size("labels"), std::vector<int>({ 12, 1 }));
    EXPECT_EQ(res.matrix("labels").at<double>(11), 4.0);
    MatFile att(b.splitsPath());
    EXPECT_EQ(att.size("att"), std::vector<int>({ 3, 4 }));
    EXPECT_EQ(att.matrix("test_unseen_loc").at<double>(0), 7.0);

    GbuDataset ds = GbuDataset::load(b.featuresPath(), b.splitsPath());
    ASSERT_EQ(ds.features.type(), CV_32FC1);
    EXPECT_EQ(cv::norm(ds.features, b.features, NORM_INF), 0.0);
    ASSERT_EQ(ds.labels.type(), CV_32SC1);
    EXPECT_EQ(cv::norm(ds.labels, b.labels, NORM_INF), 0.0);
    EXPECT_EQ(ds.imageFiles, b.files);
    EXPECT_EQ(ds.splits.prototypes.names, b.splits.prototypes.names);
    EXPECT_EQ(cv::norm(ds.splits.prototypes.vectors, b.splits.prototypes.vectors, NORM_INF), 0.0);
    EXPECT_EQ(ds.splits.trainval, b.splits.trainval);
    EXPECT_EQ(ds.splits.train, b.splits.train);
    EXPECT_EQ(ds.splits.val, b.splits.val);
    EXPECT_EQ(ds.splits.testSeen, b.splits.testSeen);
    EXPECT_EQ(ds.splits.testUnseen, b.splits.testUnseen);
    EXPECT_EQ(ds.seenClasses(), std::vector<int>({ 0, 1 }));
    EXPECT_EQ(ds.unseenClasses(), std::vector<int>({ 2, 3 }));

    Mat X, y;
    ds.select(ds.splits.testSeen, X, y);
    ASSERT_EQ(X.rows, 2);
    EXPECT_EQ(cv::norm(X.row(1), b.features.row(5), NORM_INF), 0.0);
    EXPECT_EQ(y.at<int>(0), 0);
    EXPECT_EQ(y.at<int>(1), 1);
    EXPECT_THROW(ds.select({ 12 }, X, y), cv::Exception);
    EXPECT_THROW(ds.classesOf({ -1 }), cv::Exception);
}

TEST(ZSL_GbuDataset, inconsistentFilesAreRejected)
{
    SmallBenchmark b;
    b.write();
    // A label beyond the classes of the splits file.
    Mat bad = b.labels.clone();
    bad.at<int>(4) = 4;
    writeGbuFeatures(b.featuresPath(), b.features, bad);
    std::string msg = errorOf([&] { GbuDataset::load(b.featuresPath(), b.splitsPath()); });
    EXPECT_NE(msg.find("labels(5)"), std::string::npos) << msg;

    // An index beyond the images.
    writeGbuFeatures(b.featuresPath(), b.features.rowRange(0, 10), b.labels.rowRange(0, 10));
    msg = errorOf([&] { GbuDataset::load(b.featuresPath(), b.splitsPath()); });
    EXPECT_NE(msg.find("test_unseen_loc"), std::string::npos) << msg;

    // Non-integer and zero (0-based by mistake) locations.
    MatFile m(b.splitsPath());
    m.setMatrix("val_loc", Mat((Mat_<double>(2, 1) << 1, 2.5)));
    m.write(b.splitsPath());
    EXPECT_NE(errorOf([&] { GbuSplits::read(b.splitsPath()); }).find("val_loc(2)"), std::string::npos);
    m.setMatrix("val_loc", Mat((Mat_<double>(2, 1) << 0, 1)));
    m.write(b.splitsPath());
    EXPECT_NE(errorOf([&] { GbuSplits::read(b.splitsPath()); }).find("1-based"), std::string::npos);
    m.remove("val_loc"); // optional
    m.write(b.splitsPath());
    EXPECT_TRUE(GbuSplits::read(b.splitsPath()).val.empty());
    m.remove("test_unseen_loc"); // required
    m.write(b.splitsPath());
    EXPECT_NE(errorOf([&] { GbuSplits::read(b.splitsPath()); }).find("test_unseen_loc"), std::string::npos);

    // Writer argument checks.
    EXPECT_THROW(writeGbuFeatures(b.featuresPath(), b.features, b.labels.rowRange(0, 3)), cv::Exception);
    EXPECT_THROW(writeGbuFeatures(b.featuresPath(), b.features, -b.labels), cv::Exception);
    EXPECT_THROW(writeGbuFeatures(b.featuresPath(), b.features, b.labels, { "one" }), cv::Exception);
    EXPECT_THROW(writeGbuFeatures(b.featuresPath(), Mat(), Mat()), cv::Exception);
    EXPECT_THROW(GbuDataset::load(b.dir + "/missing.mat", b.splitsPath()), cv::Exception);
}

TEST(ZSL_GbuDataset, realAwa2Splits)
{
    const std::string path = zsltest::sharedDataPath("gbu/AWA2/att_splits.mat");
    if (path.empty())
        GTEST_SKIP() << "gbu/AWA2/att_splits.mat not available";
    GbuSplits s = GbuSplits::read(path);
    EXPECT_EQ(s.prototypes.size(), 50);
    EXPECT_EQ(s.prototypes.dims(), 85);
    EXPECT_EQ(s.trainval.size(), 23527u);
    EXPECT_EQ(s.train.size(), 20218u);
    EXPECT_EQ(s.val.size(), 9191u);
    EXPECT_EQ(s.testSeen.size(), 5882u);
    EXPECT_EQ(s.testUnseen.size(), 7913u);
    EXPECT_EQ(s.trainval[0], 21483 - 1); // 0-based
    EXPECT_EQ(s.testUnseen[0], 1047 - 1);
    const size_t total = s.trainval.size() + s.testSeen.size() + s.testUnseen.size();
    EXPECT_EQ(total, 37322u); // every AwA2 image is in exactly one final split
    std::vector<int> all(s.trainval);
    all.insert(all.end(), s.testSeen.begin(), s.testSeen.end());
    all.insert(all.end(), s.testUnseen.begin(), s.testUnseen.end());
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all.front(), 0);
    EXPECT_EQ(all.back(), 37321);
    EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
}

TEST(ZSL_GbuDataset, realRes101WhenAvailable)
{
    const std::string feats = zsltest::sharedDataPath("gbu/AWA2/res101.mat");
    const std::string splits = zsltest::sharedDataPath("gbu/AWA2/att_splits.mat");
    if (feats.empty() || splits.empty())
        GTEST_SKIP() << "gbu/AWA2/res101.mat not available (not part of the shared data)";
    GbuDataset ds = GbuDataset::load(feats, splits);
    EXPECT_EQ(ds.features.rows, 37322);
    EXPECT_EQ(ds.features.cols, 2048);
    EXPECT_EQ(ds.seenClasses().size(), 40u);
    EXPECT_EQ(ds.unseenClasses().size(), 10u);
}

}} // namespace
