// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <cfloat>
#include <cstring>
#include <functional>
#include <fstream>

namespace opencv_test { namespace {

using namespace cv::zsl;
using zsltest::writeTextFile;

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

static void expectMatEq(const Mat& a, const Mat& expected)
{
    ASSERT_EQ(a.size(), expected.size());
    Mat e;
    expected.convertTo(e, a.type());
    EXPECT_EQ(cv::norm(a, e, NORM_INF), 0.0) << a << "\n" << e;
}

//--------------------------------------------------------------------------------------------------
// ClassPrototypes core (normalisation, subset, select, validation)

TEST(ZSL_Prototypes, normalisationsHaveKnownAnswers)
{
    ClassPrototypes p({ "a", "b", "c" }, Mat((Mat_<float>(3, 2) << 3, 4, 0, 0, 1, 2)));
    expectMatEq(p.normalized(PROTOTYPE_NORM_NONE).vectors, p.vectors);
    Mat l2 = p.normalized(PROTOTYPE_NORM_L2).vectors;
    EXPECT_NEAR(l2.at<float>(0, 0), 0.6f, 1e-7);
    EXPECT_NEAR(l2.at<float>(0, 1), 0.8f, 1e-7);
    EXPECT_EQ(l2.at<float>(1, 0), 0.f); // a zero prototype stays zero
    EXPECT_EQ(l2.at<float>(1, 1), 0.f);
    EXPECT_NEAR(l2.at<float>(2, 0), 1 / std::sqrt(5.f), 1e-7);

    // z-score per attribute with the population standard deviation; constant attributes become 0.
    ClassPrototypes q({ "x", "y" }, Mat((Mat_<float>(2, 2) << 1, 2, 3, 2)));
    expectMatEq(q.normalized(PROTOTYPE_NORM_ZSCORE).vectors, (Mat_<float>(2, 2) << -1, 0, 1, 0));
    Mat z = p.normalized(PROTOTYPE_NORM_ZSCORE).vectors;
    for (int j = 0; j < 2; j++)
    {
        Scalar mean, sd;
        cv::meanStdDev(z.col(j), mean, sd);
        EXPECT_NEAR(mean[0], 0, 1e-6);
        EXPECT_NEAR(sd[0], 1, 1e-6);
    }
    // Column 0 of p is (3, 0, 1): mean 4/3, std sqrt(14/9).
    EXPECT_NEAR(z.at<float>(0, 0), (3 - 4.0 / 3) / std::sqrt(14.0 / 9), 1e-6);
    EXPECT_THROW(p.normalized(7), cv::Exception);
    EXPECT_THROW(ClassPrototypes({ "only" }, Mat::ones(1, 2, CV_32F)).normalized(PROTOTYPE_NORM_ZSCORE), cv::Exception);
}

TEST(ZSL_Prototypes, subsetSelectAndUnknownNames)
{
    ClassPrototypes p({ "zebra", "horse", "bat" }, Mat((Mat_<float>(3, 2) << 1, 2, 3, 4, 5, 6)));
    EXPECT_EQ(p.size(), 3);
    EXPECT_EQ(p.dims(), 2);
    EXPECT_EQ(p.indexOf("bat"), 2);
    EXPECT_EQ(p.indexOf("cat"), -1);
    ClassPrototypes s = p.select({ "bat", "zebra" });
    EXPECT_EQ(s.names, std::vector<cv::String>({ "bat", "zebra" }));
    expectMatEq(s.vectors, (Mat_<float>(2, 2) << 5, 6, 1, 2));
    ClassPrototypes t = p.subset({ 1, 1 }); // repeated rows are allowed by subset (names then clash on validate)
    EXPECT_EQ(t.names, std::vector<cv::String>({ "horse", "horse" }));
    EXPECT_THROW(p.subset({ 3 }), cv::Exception);
    EXPECT_THROW(p.subset({ -1 }), cv::Exception);
    const std::string msg = errorOf([&] { p.select({ "bat", "unicorn", "griffin" }); });
    EXPECT_NE(msg.find("unicorn"), std::string::npos) << msg;
    EXPECT_NE(msg.find("griffin"), std::string::npos) << msg;
}

TEST(ZSL_Prototypes, constructorRejectsBadSets)
{
    EXPECT_THROW(ClassPrototypes({ "a", "a" }, Mat::ones(2, 2, CV_32F)), cv::Exception);
    EXPECT_THROW(ClassPrototypes({ "a", "" }, Mat::ones(2, 2, CV_32F)), cv::Exception);
    EXPECT_THROW(ClassPrototypes({ "a" }, Mat::ones(2, 2, CV_32F)), cv::Exception);
    EXPECT_THROW(ClassPrototypes({ "a" }, Mat((Mat_<double>(1, 2) << 1, std::nan("")))), cv::Exception);
    EXPECT_THROW(ClassPrototypes({ "a" }, Mat((Mat_<double>(1, 2) << 1, 1e300))), cv::Exception);
    EXPECT_THROW(ClassPrototypes({ "a" }, Mat::ones(1, 2, CV_32FC2)), cv::Exception);
}

//--------------------------------------------------------------------------------------------------
// Text / CSV

TEST(ZSL_PrototypesText, whitespaceMatrixWithAwaNamesFile)
{
    const std::string dir = zsltest::tempDir();
    writeTextFile(dir + "/m.txt", "-1.00 0.5   12.34\n\n  7 8e-3\t-0\n");
    writeTextFile(dir + "/classes.txt", "1\tantelope\n2\tgrizzly+bear\n");
    ClassPrototypes p = readPrototypesText(dir + "/m.txt", dir + "/classes.txt");
    EXPECT_EQ(p.names, std::vector<cv::String>({ "antelope", "grizzly+bear" }));
    expectMatEq(p.vectors, (Mat_<float>(2, 3) << -1.f, 0.5f, 12.34f, 7.f, 8e-3f, 0.f));

    // Plain names, one per line, CRLF and a byte-order mark.
    writeTextFile(dir + "/plain.txt", "\xEF\xBB\xBFzebra\r\nblue whale\r\n");
    p = readPrototypesText(dir + "/m.txt", dir + "/plain.txt");
    EXPECT_EQ(p.names, std::vector<cv::String>({ "zebra", "blue whale" }));
}

TEST(ZSL_PrototypesText, namesInTheFirstColumnAndCsv)
{
    const std::string dir = zsltest::tempDir();
    writeTextFile(dir + "/w.txt", "# AwA-like\nzebra 1 2\nhorse 3 +4.5\n");
    ClassPrototypes p = readPrototypesText(dir + "/w.txt");
    EXPECT_EQ(p.names, std::vector<cv::String>({ "zebra", "horse" }));
    expectMatEq(p.vectors, (Mat_<float>(2, 2) << 1, 2, 3, 4.5f));

    writeTextFile(dir + "/c.csv", "name,black,white\r\n\"blue, whale\", 0.25 ,1\r\nbat,-2,1e2\r\n");
    p = readPrototypesText(dir + "/c.csv");
    EXPECT_EQ(p.names, std::vector<cv::String>({ "blue, whale", "bat" }));
    expectMatEq(p.vectors, (Mat_<float>(2, 2) << 0.25f, 1, -2, 100));

    // CSV values with a separate names file.
    writeTextFile(dir + "/v.csv", "1,2,3\n4,5,6\n");
    writeTextFile(dir + "/n.txt", "a\nb\n");
    p = readPrototypesText(dir + "/v.csv", dir + "/n.txt");
    expectMatEq(p.vectors, (Mat_<float>(2, 3) << 1, 2, 3, 4, 5, 6));
}

TEST(ZSL_PrototypesText, errorsNameFileAndLine)
{
    const std::string dir = zsltest::tempDir();
    writeTextFile(dir + "/ragged.txt", "a 1 2\nb 3\n");
    std::string msg = errorOf([&] { readPrototypesText(dir + "/ragged.txt"); });
    EXPECT_NE(msg.find("ragged.txt:2"), std::string::npos) << msg;

    writeTextFile(dir + "/nan.txt", "a 1 nan\n");
    msg = errorOf([&] { readPrototypesText(dir + "/nan.txt"); });
    EXPECT_NE(msg.find("nan.txt:1"), std::string::npos) << msg;
    writeTextFile(dir + "/inf.txt", "a 1 2\nb 1e39 1\n");
    EXPECT_NE(errorOf([&] { readPrototypesText(dir + "/inf.txt"); }).find("inf.txt:2"), std::string::npos);

    writeTextFile(dir + "/word.txt", "a 1 2\nb 1 x2\n");
    msg = errorOf([&] { readPrototypesText(dir + "/word.txt"); });
    EXPECT_NE(msg.find("'x2'"), std::string::npos) << msg;

    writeTextFile(dir + "/dup.txt", "a 1\nb 2\na 3\n");
    msg = errorOf([&] { readPrototypesText(dir + "/dup.txt"); });
    EXPECT_NE(msg.find("dup.txt:3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 1"), std::string::npos) << msg;

    writeTextFile(dir + "/m.txt", "1 2\n3 4\n");
    writeTextFile(dir + "/three.txt", "a\nb\nc\n");
    msg = errorOf([&] { readPrototypesText(dir + "/m.txt", dir + "/three.txt"); });
    EXPECT_NE(msg.find("3 names"), std::string::npos) << msg;
    writeTextFile(dir + "/dupnames.txt", "1 a\n2 a\n");
    EXPECT_NE(errorOf([&] { readPrototypesText(dir + "/m.txt", dir + "/dupnames.txt"); }).find("duplicate"), std::string::npos);

    writeTextFile(dir + "/empty.txt", "\n# nothing\n");
    EXPECT_THROW(readPrototypesText(dir + "/empty.txt"), cv::Exception);
    writeTextFile(dir + "/nameonly.txt", "zebra\n");
    EXPECT_THROW(readPrototypesText(dir + "/nameonly.txt"), cv::Exception);
    EXPECT_THROW(readPrototypesText(dir + "/missing.txt"), cv::Exception);
    EXPECT_THROW(readPrototypesText(dir + "/m.txt", dir + "/missing.txt"), cv::Exception);
}

//--------------------------------------------------------------------------------------------------
// JSON

TEST(ZSL_PrototypesJSON, readsExactValues)
{
    const std::string dir = zsltest::tempDir();
    writeTextFile(dir + "/p.json", R"({"classes":[{"name":"zebra","vector":[1, -2.5, 3e-2]},
                                        {"vector":[0,1e2,-7],"name":"blue+whale","extra":true}]})");
    ClassPrototypes p = readPrototypesJSON(dir + "/p.json");
    EXPECT_EQ(p.names, std::vector<cv::String>({ "zebra", "blue+whale" }));
    expectMatEq(p.vectors, (Mat_<float>(2, 3) << 1, -2.5f, 3e-2f, 0, 100, -7));
}

TEST(ZSL_PrototypesJSON, writeReadRoundTripIsBitExact)
{
    const std::string dir = zsltest::tempDir();
    Mat v = (Mat_<float>(3, 4) << 0.1f, -1e-7f, 3.4e38f /* near FLT_MAX: checkRange rejects FLT_MAX itself */, -FLT_MIN, 1.f / 3, 123456.789f, 0.f, -0.f, 2.5f,
             std::nextafter(1.f, 2.f), 1e-40f /* denormal */, 7.f);
    ClassPrototypes p({ "zebra", "quote\"and\\back", "\xE6\x97\xA5" }, v);
    writePrototypesJSON(dir + "/p.json", p);
    ClassPrototypes q = readPrototypesJSON(dir + "/p.json");
    EXPECT_EQ(q.names, p.names);
    ASSERT_EQ(q.vectors.size(), v.size());
    // Same bits, including the sign of -0 and the denormal.
    EXPECT_EQ(std::memcmp(q.vectors.ptr(), v.ptr(), v.total() * sizeof(float)), 0);
    // An existing file is replaced, not appended to.
    writePrototypesJSON(dir + "/p.json", p.subset({ 0 }));
    EXPECT_EQ(readPrototypesJSON(dir + "/p.json").size(), 1);
    EXPECT_THROW(writePrototypesJSON(dir + "/p.json", ClassPrototypes()), cv::Exception);
}

TEST(ZSL_PrototypesJSON, malformedJsonReportsThePosition)
{
    const std::string dir = zsltest::tempDir();
    writeTextFile(dir + "/bad.json", "{\"classes\":[\n  {\"name\":\"a\",\n   \"vector\":[1,2,]}\n]}");
    const std::string msg = errorOf([&] { readPrototypesJSON(dir + "/bad.json"); });
    EXPECT_NE(msg.find("bad.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 3, column 18"), std::string::npos) << msg;

    writeTextFile(dir + "/trunc.json", "{\"classes\":[{\"name\":\"a\",\"vector\":[1");
    EXPECT_NE(errorOf([&] { readPrototypesJSON(dir + "/trunc.json"); }).find("malformed"), std::string::npos);
    writeTextFile(dir + "/trail.json", "{\"classes\":[{\"name\":\"a\",\"vector\":[1]}]} x");
    EXPECT_NE(errorOf([&] { readPrototypesJSON(dir + "/trail.json"); }).find("malformed"), std::string::npos);
}

TEST(ZSL_PrototypesJSON, wrongStructureIsRejected)
{
    const std::string dir = zsltest::tempDir();
    const std::vector<std::pair<std::string, std::string>> cases = {
        { "[]", "\"classes\"" },
        { "{\"classes\":{}}", "must be an array" },
        { "{\"classes\":[]}", "empty" },
        { "{\"classes\":[1]}", "classes[0]" },
        { "{\"classes\":[{\"vector\":[1]}]}", "\"name\"" },
        { "{\"classes\":[{\"name\":3,\"vector\":[1]}]}", "\"name\"" },
        { "{\"classes\":[{\"name\":\"a\"}]}", "\"vector\"" },
        { "{\"classes\":[{\"name\":\"a\",\"vector\":[]}]}", "0 values" },
        { "{\"classes\":[{\"name\":\"a\",\"vector\":[1,2]},{\"name\":\"b\",\"vector\":[1]}]}", "classes[1]" },
        { "{\"classes\":[{\"name\":\"a\",\"vector\":[1,\"2\"]}]}", "vector[1]" },
        { "{\"classes\":[{\"name\":\"a\",\"vector\":[1]},{\"name\":\"a\",\"vector\":[2]}]}", "duplicate" },
        { "{\"classes\":[{\"name\":\"a\",\"vector\":[1e300]}]}", "float" },
    };
    for (size_t i = 0; i < cases.size(); i++)
    {
        const std::string path = dir + cv::format("/c%zu.json", i);
        writeTextFile(path, cases[i].first);
        const std::string msg = errorOf([&] { readPrototypesJSON(path); });
        EXPECT_NE(msg.find(cases[i].second), std::string::npos) << cases[i].first << " -> " << msg;
    }
    EXPECT_THROW(readPrototypesJSON(dir + "/missing.json"), cv::Exception);
}

//--------------------------------------------------------------------------------------------------
// GBU att_splits.mat and the committed data/awa2 text files

TEST(ZSL_PrototypesGBU, writtenSplitsFileReadsBack)
{
    const std::string path = zsltest::tempDir() + "/att_splits.mat";
    MatFile m;
    m.setMatrix("att", Mat((Mat_<double>(2, 3) << 1, 2, 3, 4, 5, 6))); // 2 attributes x 3 classes
    m.setMatrix("original_att", Mat((Mat_<double>(2, 3) << 10, 20, 30, 40, 50, 60)));
    m.setStrings("allclasses_names", { "a", "b", "c" });
    m.write(path);
    ClassPrototypes p = readPrototypesGBU(path);
    EXPECT_EQ(p.names, std::vector<cv::String>({ "a", "b", "c" }));
    expectMatEq(p.vectors, (Mat_<float>(3, 2) << 1, 4, 2, 5, 3, 6));
    expectMatEq(readPrototypesGBU(path, "original_att").vectors, (Mat_<float>(3, 2) << 10, 40, 20, 50, 30, 60));
    EXPECT_NE(errorOf([&] { readPrototypesGBU(path, "w2v"); }).find("original_att"), std::string::npos);

    m.remove("allclasses_names"); // FLO-style: no names
    m.write(path);
    EXPECT_EQ(readPrototypesGBU(path).names, std::vector<cv::String>({ "class_1", "class_2", "class_3" }));
    m.setStrings("allclasses_names", { "a", "b" });
    m.write(path);
    EXPECT_NE(errorOf([&] { readPrototypesGBU(path); }).find("2 class names"), std::string::npos);
}

static std::vector<cv::String> readLines(const std::string& path)
{
    std::ifstream f(path);
    std::vector<cv::String> lines;
    for (std::string line; std::getline(f, line);)
        if (!line.empty())
            lines.push_back(line);
    return lines;
}

TEST(ZSL_PrototypesGBU, committedAwa2TextFiles)
{
    const std::string dataDir = zsltest::repoDataPath("awa2");
    ClassPrototypes att = readPrototypesText(dataDir + "/att.txt", dataDir + "/classes.txt");
    ASSERT_EQ(att.size(), 50);
    ASSERT_EQ(att.dims(), 85);
    EXPECT_EQ(att.names[0], "antelope");
    EXPECT_EQ(att.names[49], "dolphin");
    for (int c = 0; c < 50; c++)
        EXPECT_NEAR(cv::norm(att.vectors.row(c)), 1.0, 1e-6) << att.names[c]; // att is L2-normalised per class
    ClassPrototypes orig = readPrototypesText(dataDir + "/original_att.txt", dataDir + "/classes.txt");
    EXPECT_EQ(orig.vectors.at<float>(0, 4), 12.34f);
    EXPECT_EQ(orig.vectors.at<float>(0, 0), -1.f); // AwA's "missing" marker
    EXPECT_EQ(readLines(dataDir + "/predicates.txt").size(), 85u);

    // Seen and unseen classes of the proposed split partition the 50 classes (40 + 10).
    const std::vector<cv::String> unseen = readLines(dataDir + "/testclasses.txt");
    const std::vector<cv::String> seen = readLines(dataDir + "/trainvalclasses.txt");
    EXPECT_EQ(unseen.size(), 10u);
    EXPECT_EQ(seen.size(), 40u);
    EXPECT_EQ(att.select(unseen).size(), 10);
    EXPECT_EQ(att.select(seen).size(), 40);
    std::vector<cv::String> all(seen);
    all.insert(all.end(), unseen.begin(), unseen.end());
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
    for (const char* name : { "sheep", "dolphin", "bat", "seal", "blue+whale", "rat", "horse", "walrus", "giraffe", "bobcat" })
        EXPECT_NE(std::find(unseen.begin(), unseen.end(), name), unseen.end()) << name;
}

TEST(ZSL_PrototypesGBU, realAwa2MatchesTheCommittedTextFiles)
{
    const std::string mat = zsltest::sharedDataPath("gbu/AWA2/att_splits.mat");
    if (mat.empty())
        GTEST_SKIP() << "gbu/AWA2/att_splits.mat not available";
    const std::string dataDir = zsltest::repoDataPath("awa2");
    for (const char* variable : { "att", "original_att" })
    {
        ClassPrototypes fromMat = readPrototypesGBU(mat, variable);
        ClassPrototypes fromText = readPrototypesText(dataDir + "/" + variable + ".txt", dataDir + "/classes.txt");
        EXPECT_EQ(fromMat.names, fromText.names);
        EXPECT_EQ(cv::norm(fromMat.vectors, fromText.vectors, NORM_INF), 0.0) << variable;
    }
}

TEST(ZSL_PrototypesGBU, realFilesOfAllDatasets)
{
    struct Case { const char* file; int classes, dims; const char* first; };
    const Case cases[] = { { "AWA1/att_splits.mat", 50, 85, "antelope" }, { "AWA2/att_splits.mat", 50, 85, "antelope" },
                           { "SUN/att_splits.mat", 717, 102, "abbey" }, { "FLO/att_splits.mat", 102, 1024, "class_1" },
                           { "CUB/sent_splits.mat", 200, 1024, nullptr } };
    int found = 0;
    for (const Case& c : cases)
    {
        const std::string path = zsltest::sharedDataPath(std::string("gbu/") + c.file);
        if (path.empty())
            continue;
        found++;
        ClassPrototypes p = readPrototypesGBU(path);
        EXPECT_EQ(p.size(), c.classes) << c.file;
        EXPECT_EQ(p.dims(), c.dims) << c.file;
        if (c.first)
            EXPECT_EQ(p.names[0], c.first) << c.file;
    }
    if (!found)
        GTEST_SKIP() << "no GBU files available";
}

}} // namespace
