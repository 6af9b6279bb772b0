// This file is part of the opencv_zsl module (cv::zsl).
// Portable models: the backbone path stored relative to the model file, another backbone at load time,
// loading the classifier alone for feature input.
#include "test_precomp.hpp"
#include <filesystem>
#include <unistd.h>

namespace opencv_test { namespace {

using namespace cv::zsl;
namespace fs = std::filesystem;

// Changes the working directory for one scope (the typed backbone path is relative to it).
struct WorkingDirectory
{
    explicit WorkingDirectory(const fs::path& dir) : previous(fs::current_path()) { fs::current_path(dir); }
    ~WorkingDirectory() { fs::current_path(previous); }
    fs::path previous;
};

class ZSL_ModelPortability : public ::testing::Test
{
protected:
    void SetUp() override
    {
        zsltest::SyntheticOptions o;
        o.featureDim = 8; // the tiny Darknet encoder's output
        problem = zsltest::makeSyntheticProblem(o);
        base = zsltest::tempDir();
        const fs::path project = base / "project";
        fs::create_directories(project / "backbones");
        fs::create_directories(project / "models");
        zsltest::writeTinyDarknet((project / "backbones").string(), true, o.featureDim);
        RNG rng(3);
        for (int i = 0; i < 4; i++)
        {
            Mat img(40 + 7 * i, 50, CV_8UC3);
            rng.fill(img, RNG::UNIFORM, 0, 256);
            images.push_back(img);
        }
        // Trained and saved as a user does from the project folder, with relative paths as typed.
        WorkingDirectory cwd(project);
        Ptr<VisualEncoder> encoder = VisualEncoder::create("backbones/tiny.weights", "backbones/tiny.cfg",
                                                           EncoderPreprocessing::torchvision(Size(32, 32), 0));
        Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(ZeroShotClassifier::Params(), encoder);
        zsl->train(problem.trainX, problem.trainY, problem.seen);
        zsl->setUnseenClasses(problem.unseen);
        zsl->save("models/m.yml");
        zsl->computeScores(problem.testUnseenX, featureScores);
        Mat f;
        zsl->extractFeatures(images, f);
        zsl->computeScores(f, imageScores);
    }

    zsltest::SyntheticProblem problem;
    fs::path base;
    std::vector<Mat> images;
    Mat featureScores, imageScores;
};

TEST_F(ZSL_ModelPortability, modelAndBackboneMoveTogether)
{
    fs::rename(base / "project", base / "moved");
    // Loaded from elsewhere: neither the typed path (relative to another directory) nor the absolute one exist.
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::load((base / "moved" / "models" / "m.yml").string());
    EXPECT_EQ(fs::path(zsl->getEncoder()->getModelPath()), (base / "moved" / "backbones" / "tiny.weights").lexically_normal());
    EXPECT_EQ(fs::path(zsl->getEncoder()->getConfigPath()), (base / "moved" / "backbones" / "tiny.cfg").lexically_normal());
    Mat labels, scores, S, f;
    zsl->extractFeatures(images, f);
    zsl->computeScores(f, S);
    EXPECT_EQ(cv::norm(S, imageScores, NORM_INF), 0);
}

TEST_F(ZSL_ModelPortability, modelCopiedAloneFindsTheBackboneByAbsolutePath)
{
    fs::create_directories(base / "elsewhere");
    fs::copy_file(base / "project" / "models" / "m.yml", base / "elsewhere" / "m.yml");
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::load((base / "elsewhere" / "m.yml").string());
    EXPECT_EQ(fs::path(zsl->getEncoder()->getModelPath()), (base / "project" / "backbones" / "tiny.weights").lexically_normal());
}

TEST_F(ZSL_ModelPortability, missingBackboneNamesThePathsTriedAndTheWayOut)
{
    fs::remove_all(base / "project" / "backbones");
    const std::string model = (base / "project" / "models" / "m.yml").string();
    try
    {
        ZeroShotClassifier::load(model);
        FAIL() << "a model whose backbone is gone loaded";
    }
    catch (const cv::Exception& e)
    {
        EXPECT_EQ(e.code, Error::StsObjectNotFound);
        EXPECT_NE(e.err.find("tiny.weights"), std::string::npos) << e.err;
        EXPECT_NE(e.err.find("tried"), std::string::npos) << e.err;
        EXPECT_NE(e.err.find("LOAD_WITHOUT_ENCODER"), std::string::npos) << e.err;
        EXPECT_NE(e.err.find(model), std::string::npos) << e.err;
    }

    // The classifier alone classifies features exactly as before.
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::load(model, "", ZeroShotClassifier::LOAD_WITHOUT_ENCODER);
    EXPECT_TRUE(zsl->getEncoder().empty());
    Mat S;
    zsl->computeScores(problem.testUnseenX, S);
    EXPECT_EQ(cv::norm(S, featureScores, NORM_INF), 0);
    Mat f;
    EXPECT_THROW(zsl->extractFeatures(images, f), cv::Exception);
    EXPECT_THROW(ZeroShotClassifier::load(model, "", 0x40), cv::Exception); // unknown flag
}

TEST_F(ZSL_ModelPortability, anotherBackboneAtLoadTime)
{
    const fs::path other = base / "deploy" / "weights";
    fs::create_directories(other);
    zsltest::writeTinyDarknet(other.string(), true, 8);
    fs::remove_all(base / "project" / "backbones");
    const std::string model = (base / "project" / "models" / "m.yml").string();
    // The config of the stored name is found beside the given weights.
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::load(model, (other / "tiny.weights").string());
    EXPECT_EQ(zsl->getEncoder()->getModelPath(), (other / "tiny.weights").string());
    EXPECT_EQ(zsl->getEncoder()->getConfigPath(), (other / "tiny.cfg").string());
    Mat f, S;
    zsl->extractFeatures(images, f);
    zsl->computeScores(f, S);
    EXPECT_EQ(cv::norm(S, imageScores, NORM_INF), 0); // same weights, same answers

    EXPECT_THROW(ZeroShotClassifier::load(model, (base / "absent.onnx").string()), cv::Exception);
}

TEST_F(ZSL_ModelPortability, savedFileHoldsRelativeAbsoluteAndTypedPaths)
{
    FileStorage in((base / "project" / "models" / "m.yml").string(), FileStorage::READ);
    ASSERT_TRUE(in.isOpened());
    FileNode enc;
    // Find the encoder node wherever the format nests it.
    std::function<void(const FileNode&)> find = [&](const FileNode& n) {
        if (!enc.empty() || !n.isMap())
            return;
        if (!n["model_relative_to_model"].empty())
        {
            enc = n;
            return;
        }
        for (FileNodeIterator it = n.begin(); it != n.end(); ++it)
            find(*it);
    };
    find(in.root());
    ASSERT_FALSE(enc.empty());
    EXPECT_EQ((std::string)enc["model"], "backbones/tiny.weights");
    EXPECT_EQ((std::string)enc["model_relative_to_model"], "../backbones/tiny.weights");
    EXPECT_EQ(fs::path((std::string)enc["model_absolute"]), (base / "project" / "backbones" / "tiny.weights").lexically_normal());
}

}} // namespace
