// This file is part of the opencv_zsl module (cv::zsl).
// Concurrency and crash-safety of the classifier.
#include "test_precomp.hpp"
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <random>
#include <thread>
#include <fstream>
#include <iterator>
#include "opencv2/zsl/mat_file.hpp"
#include "../fuzz/fuzz_common.hpp" // how the harnesses turn an input into files and options
#include <sys/wait.h>
#include <unistd.h>

namespace opencv_test { namespace {

using namespace cv::zsl;
using zsltest::makeSyntheticProblem;

static Ptr<ZeroShotClassifier> trainedModel(const zsltest::SyntheticProblem& p, double gamma)
{
    ZeroShotClassifier::Params params;
    params.eszslGamma = gamma;
    params.eszslLambda = 0.1;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    return zsl;
}

TEST(ZSL_Reliability, constPredictFromEightThreadsMatchesSingleThread)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = trainedModel(p, 0.01);
    zsl->setMode(ZeroShotClassifier::MODE_GZSL);
    zsl->setCalibration(0.1);
    Mat X;
    cv::vconcat(p.testSeenX, p.testUnseenX, X);
    Mat refLabels, refScores, refAttrs;
    zsl->predict(X, refLabels, refScores, 3);
    zsl->predictAttributes(X, refAttrs);

    const ZeroShotClassifier& shared = *zsl;
    std::vector<int> mismatches(8, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; t++)
        threads.emplace_back([&, t] {
            for (int iter = 0; iter < 20; iter++)
            {
                Mat labels, scores, attrs;
                shared.predict(X, labels, scores, 3);
                shared.predictAttributes(X, attrs);
                if (cv::norm(labels, refLabels, NORM_INF) != 0 || cv::norm(scores, refScores, NORM_INF) != 0 ||
                    cv::norm(attrs, refAttrs, NORM_INF) != 0)
                    mismatches[t]++;
            }
        });
    for (std::thread& th : threads)
        th.join();
    for (int t = 0; t < 8; t++)
        EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

// Single exact queries over a large gallery build the 4-bit codes on first use: eight threads
// racing for that first use must share one build and get the single-threaded answers.
TEST(ZSL_Reliability, concurrentSingleQueriesShareOneCodeBuild)
{
    const int n = 70000, d = 32;
    cv::RNG rng(3);
    Mat x(n, d, CV_32F), queries(20, d, CV_32F);
    rng.fill(x, cv::RNG::NORMAL, 0, 1);
    rng.fill(queries, cv::RNG::NORMAL, 0, 1);
    std::vector<String> words(n);
    for (int i = 0; i < n; i++)
        words[i] = cv::format("w%d", i);
    Ptr<GalleryIndex> reference = GalleryIndex::create(x);
    Mat refIdx, refSim;
    reference->search(queries, 5, refIdx, refSim); // a batch of 20 (> 16) takes the float path
    for (int round = 0; round < 2; round++)
    {
        // Fresh objects: the first queries of the threads race to build the codes.
        Ptr<GalleryIndex> gallery = GalleryIndex::create(x);
        Ptr<WordVectors> wv = WordVectors::create(words, x);
        std::vector<int> mismatches(8, 0);
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; t++)
            threads.emplace_back([&, t] {
                for (int iter = 0; iter < 3; iter++)
                {
                    const int qi = (t + iter) % 8;
                    Mat idx, sim;
                    if (round == 0)
                        gallery->search(queries.row(qi), 5, idx, sim);
                    else
                        wv->nearestWords(queries.row(qi), 5, idx, sim);
                    if (cv::norm(idx, refIdx.row(qi), NORM_INF) != 0 || cv::norm(sim, refSim.row(qi), NORM_INF) > 1e-5)
                        mismatches[t]++;
                }
            });
        for (std::thread& th : threads)
            th.join();
        for (int t = 0; t < 8; t++)
            EXPECT_EQ(mismatches[t], 0) << (round == 0 ? "gallery" : "word vectors") << ", thread " << t;
    }
}

// Kills a process in the middle of save() over an existing model, many times at random points:
// the file must always be a complete model, either the old or the new one.
TEST(ZSL_Reliability, saveIsCrashSafe)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> oldModel = trainedModel(p, 1.0), newModel = trainedModel(p, 0.01);
    const std::string dir = zsltest::tempDir(), path = dir + "/model.yml.gz";
    oldModel->save(path);
    Mat oldScores, newScores;
    oldModel->computeScores(p.testUnseenX, oldScores);
    newModel->computeScores(p.testUnseenX, newScores);
    ASSERT_GT(cv::norm(oldScores, newScores, NORM_INF), 0);

    std::mt19937 rng(12345);
    int sawOld = 0, sawNew = 0;
    for (int round = 0; round < 40; round++)
    {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0)
        {
            for (;;)
                (round % 2 ? newModel : oldModel)->save(path);
        }
        ::usleep(200 + rng() % 20000);
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);

        Ptr<ZeroShotClassifier> loaded;
        ASSERT_NO_THROW(loaded = ZeroShotClassifier::load(path)) << "round " << round;
        Mat scores;
        loaded->computeScores(p.testUnseenX, scores);
        const bool isOld = cv::norm(scores, oldScores, NORM_INF) == 0, isNew = cv::norm(scores, newScores, NORM_INF) == 0;
        EXPECT_TRUE(isOld || isNew) << "round " << round;
        sawOld += isOld;
        sawNew += isNew;
    }
    EXPECT_GT(sawNew, 0); // the kills did land after some completed saves
    // Killed writers leave their temporary files beside the target; the target is never one of them.
    for (auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().filename() != "model.yml.gz")
            EXPECT_EQ(e.path().filename().string().rfind(".zsl-tmp-", 0), 0u) << e.path();
}

// The committed fuzzing corpora (modules/zsl/fuzz/corpus/<harness>, including the inputs behind
// fixed findings, named regression-*) replayed through the loaders in the normal suite: each input
// loads or raises a cv::Exception -- no crash, hang or runaway allocation (the sanitizer builds run
// this test too).
TEST(ZSL_Reliability, committedFuzzCorporaLoadOrThrowCvException)
{
    namespace fs = std::filesystem;
    const fs::path root = fs::path(__FILE__).parent_path() / ".." / "fuzz" / "corpus";
    if (!fs::is_directory(root))
        GTEST_SKIP() << "no fuzz corpora beside the tests";
    const std::string tmp = zsltest::tempDir();
    int inputs = 0, loaded = 0;
    for (const fs::directory_entry& harness : fs::directory_iterator(root))
    {
        const std::string name = harness.path().filename().string();
        for (const fs::directory_entry& input : fs::directory_iterator(harness.path()))
        {
            std::ifstream in(input.path(), std::ios::binary);
            const std::vector<uchar> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            const std::string path = tmp + "/input";
            zslfuzz::writeFile(path, data.data(), data.size());
            SCOPED_TRACE(input.path().string());
            inputs++;
            try
            {
                if (name == "fuzz_classifier_load")
                    ZeroShotClassifier::load(path);
                else if (name == "fuzz_mat_file")
                    MatFile().decode(data, input.path().string());
                else if (name == "fuzz_prototypes_json")
                    readPrototypesJSON(path);
                else if (name == "fuzz_gallery_index")
                    GalleryIndex::load(path);
                else if (name == "fuzz_training_statistics")
                    TrainingStatistics::load(path);
                else if (name == "fuzz_prototypes_text")
                    readPrototypesText(path, zslfuzz::writePrototypeTextInput(data.data(), data.size(), path));
                else if (name == "fuzz_wordnet" && !data.empty())
                {
                    zslfuzz::writeFile(path, data.data() + 1, data.size() - 1);
                    if (data[0] & 1)
                        readClassIdList(path);
                    else
                        ClassHierarchy::loadWordNet(path);
                }
                else if (name == "fuzz_word_vectors" && !data.empty())
                {
                    zslfuzz::writeFile(path, data.data() + 1, data.size() - 1);
                    WordVectors::load(path, zslfuzz::wordVectorOptions(data[0]));
                }
                else
                    continue;
                loaded++;
            }
            catch (const cv::Exception&)
            {
            }
        }
    }
    EXPECT_GT(inputs, 10);
    EXPECT_GT(loaded, 5); // the seeds themselves are valid files
    std::cout << "[ INFO     ] " << inputs << " corpus inputs, " << loaded << " loaded, the rest refused with cv::Exception" << std::endl;
}

}} // namespace
