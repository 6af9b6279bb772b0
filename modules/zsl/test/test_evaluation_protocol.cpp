// This file is part of the opencv_zsl module (cv::zsl).
// The Fashion-MNIST evaluation program (samples/zsl_evaluate.cpp) end to end: every choice
// (hyper-parameters, calibration) is made before any test image is read. Black box: the test images
// replaced by noise must leave every choice unchanged and change only the final test figures.
#include "test_precomp.hpp"
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/wait.h>

namespace opencv_test { namespace {

const char* const kFashionDir = "/usr/share/datasets/fashion-mnist";

std::string evaluateProgram()
{
    const char* dir = std::getenv("ZSL_BUILD_DIR");
    const std::string path = std::string(dir ? dir : "build") + "/zsl_evaluate";
    return std::filesystem::exists(path) ? path : std::string();
}

// Why zsl_evaluate cannot run here (empty when it can): the program or the dataset is missing.
std::string missingForEvaluation(const std::string& program)
{
    if (program.empty())
        return "zsl_evaluate is not built (set ZSL_BUILD_DIR)";
    if (!std::filesystem::exists(std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz"))
        return "Fashion-MNIST is not installed (dataset-fashion-mnist, tools/install_deps.sh)";
    return std::string();
}

// A copy of the dataset folder whose test images are uniform noise (the train files and test labels are links).
std::string poisonedFashionDir()
{
    const std::string dir = zsltest::tempDir() + "/fashion_poisoned";
    std::filesystem::create_directories(dir);
    for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
        std::filesystem::create_symlink(std::string(kFashionDir) + "/" + f, dir + "/" + f);
    const uint32_t n = 10000, side = 28;
    std::string bytes;
    for (uint32_t v : {2051u, n, side, side})
        for (int s = 24; s >= 0; s -= 8)
            bytes.push_back((char)((v >> s) & 0xFF));
    cv::Mat noise(1, (int)(n * side * side), CV_8U);
    cv::RNG(17).fill(noise, cv::RNG::UNIFORM, 0, 256);
    bytes.append(noise.ptr<char>(), noise.total());
    std::ofstream(dir + "/t10k-images-idx3-ubyte", std::ios::binary).write(bytes.data(), (std::streamsize)bytes.size());
    return dir;
}

// Rows "| split | method | ZSL | s | u | H | gamma | cal. s | cal. u | cal. H | flip rate | rate gamma | rate s | rate u |
// rate H | params | test-optimal gamma | its H |" of the Markdown table.
std::map<std::string, std::vector<std::string> > tableRows(const std::string& path)
{
    std::ifstream f(path);
    std::map<std::string, std::vector<std::string> > rows;
    std::string line;
    while (std::getline(f, line))
    {
        if (line.rfind("| split |", 0) == 0 || line.rfind("|---", 0) == 0 || line.empty() || line[0] != '|')
            continue;
        std::vector<std::string> cells;
        std::stringstream ss(line.substr(1));
        std::string cell;
        while (std::getline(ss, cell, '|'))
            cells.push_back(cell);
        if (cells.size() >= 11 && cells[0].find("mean") == std::string::npos)
            rows[cells[0] + "/" + cells[1]] = cells;
    }
    return rows;
}

TEST(ZSL_EvaluationProtocol, choicesReadNoTestImage)
{
    const std::string program = evaluateProgram(), missing = missingForEvaluation(program);
    if (!missing.empty())
        GTEST_SKIP() << missing;
    const std::string poisoned = poisonedFashionDir();
    std::map<std::string, std::vector<std::string> > tables[2];
    int k = 0;
    for (const std::string& dir : {std::string(kFashionDir), poisoned})
    {
        const std::string md = zsltest::tempDir() + cv::format("/table%d.md", k);
        const std::string cmd = program + " --methods=ESZSL,SAE --splits=split1 --extra-splits=1 --train-per-class=60 "
                                "--val-per-class=30 --test-per-class=60 --fashion=" + dir + " --markdown=" + md + " > " + md +
                                ".log 2>&1";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        tables[k++] = tableRows(md);
    }
    ASSERT_EQ(tables[0].size(), 4u); // 2 methods x (split1 + one drawn split)
    ASSERT_EQ(tables[1].size(), 4u);
    for (const auto& row : tables[0])
    {
        SCOPED_TRACE(row.first);
        ASSERT_EQ(tables[1].count(row.first), 1u);
        const std::vector<std::string>& clean = row.second;
        const std::vector<std::string>& dirty = tables[1][row.first];
        ASSERT_EQ(clean.size(), 18u);
        EXPECT_EQ(clean[6], dirty[6]);   // gamma
        EXPECT_EQ(clean[10], dirty[10]); // rate-matched calibration: the folds' flip rate of seen rows,
        EXPECT_EQ(clean[11], dirty[11]); // and the constant it gives on the final model's seen validation rows
        EXPECT_EQ(clean[15], dirty[15]); // chosen hyper-parameters, grid size and extensions
        EXPECT_NE(clean[2], dirty[2]);   // the noise did reach the test figures
        // The test-optimal constant (diagnostic columns) bounds both seen-only calibrations' H from above.
        EXPECT_GE(std::stod(clean[17]) + 1e-3, std::stod(clean[9]));
        EXPECT_GE(std::stod(clean[17]) + 1e-3, std::stod(clean[14]));
    }
}

// --ensemble=K averages the scores of K final models trained with consecutive seeds; a deterministic
// closed-form method gives K identical members, so every figure and choice must equal the single model's.
TEST(ZSL_EvaluationProtocol, ensembleOfIdenticalMembersEqualsOneModel)
{
    const std::string program = evaluateProgram(), missing = missingForEvaluation(program);
    if (!missing.empty())
        GTEST_SKIP() << missing;
    std::map<std::string, std::vector<std::string> > tables[2];
    for (int k = 0; k < 2; k++)
    {
        const std::string md = zsltest::tempDir() + cv::format("/ensemble%d.md", k);
        const std::string cmd = program + " --methods=ESZSL --splits=split2 --train-per-class=60 --val-per-class=30 "
                                "--test-per-class=60 --ensemble=" + std::to_string(k ? 3 : 1) + " --markdown=" + md +
                                " > " + md + ".log 2>&1";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        tables[k] = tableRows(md);
    }
    ASSERT_EQ(tables[0].size(), 1u);
    ASSERT_EQ(tables[1].size(), 1u);
    EXPECT_EQ(tables[0].begin()->second, tables[1].begin()->second);
}

// A feature layer the backbone does not have is a cv::Exception that names it, exit status 1, no table.
TEST(ZSL_EvaluationProtocol, unknownFeatureLayerIsNamed)
{
    const std::string program = evaluateProgram(), missing = missingForEvaluation(program);
    if (!missing.empty())
        GTEST_SKIP() << missing;
    const std::string md = zsltest::tempDir() + "/badlayer.md";
    const std::string cmd = program + " --methods=ESZSL --splits=split1 --feature-layer=no_such_layer --markdown=" + md +
                            " > " + md + ".log 2>&1";
    const int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc)) << cmd;
    EXPECT_EQ(WEXITSTATUS(rc), 1);
    EXPECT_FALSE(std::filesystem::exists(md));
    std::ifstream log(md + ".log");
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("no_such_layer"), std::string::npos) << text;
}

}} // namespace
