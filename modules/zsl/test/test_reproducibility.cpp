// This file is part of the opencv_zsl module (cv::zsl).
// Same seed and thread count -> bit-identical models across separate processes, for every method.
// The test runs this binary twice per (method, thread count) as child processes that train and save;
// the saved files must be byte-identical.
#include "test_precomp.hpp"
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace opencv_test { namespace {

using namespace cv::zsl;

const char* const kMethodNames[] = {"ESZSL", "SAE", "DEVISE", "ALE", "SJE", "MLP", "CONSE", "GENERATIVE", "CADA_VAE", "F_CLSWGAN", "TF_VAEGAN"};

// Small but complete settings: every random choice of the iterative methods is exercised (shuffles,
// initialisation, dropout, the generator's noise, validation hold-out).
ZeroShotClassifier::Params reproducibilityParams(int method)
{
    ZeroShotClassifier::Params p;
    p.method = method;
    p.epochs = 4;
    p.batchSize = 32;
    p.hiddenSizes = {48};
    p.dropout = method == ZeroShotClassifier::MLP ? 0.2 : 0.0;
    p.latentDim = 8;
    p.syntheticPerClass = 30;
    p.seed = 1234;
    return p;
}

std::string readBytes(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Runs this test binary's child test with the given environment additions; returns its exit status.
int runChild(const std::vector<std::string>& extraEnv)
{
    std::vector<std::string> env(extraEnv);
    for (char** e = environ; *e; e++)
        env.push_back(*e);
    std::vector<char*> envp;
    for (std::string& e : env)
        envp.push_back(&e[0]);
    envp.push_back(nullptr);
    std::string exe = "/proc/self/exe", filter = "--gtest_filter=ZSL_Reproducibility.DISABLED_childTrainsAndSaves",
                disabled = "--gtest_also_run_disabled_tests", brief = "--gtest_brief=1";
    char* argv[] = {&exe[0], &filter[0], &disabled[0], &brief[0], nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, envp.data()) != 0)
        return -1;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The child: trains the method named by $ZSL_REPRO_METHOD with $ZSL_REPRO_THREADS threads, saves to $ZSL_REPRO_OUT.
TEST(ZSL_Reproducibility, DISABLED_childTrainsAndSaves)
{
    const char* method = std::getenv("ZSL_REPRO_METHOD");
    const char* threads = std::getenv("ZSL_REPRO_THREADS");
    const char* out = std::getenv("ZSL_REPRO_OUT");
    ASSERT_TRUE(method && threads && out) << "run by ZSL_Reproducibility.trainedModelsAreBitIdenticalAcrossProcesses";
    cv::setNumThreads(std::atoi(threads));
    zsltest::SyntheticOptions o;
    o.numSeen = 12;
    o.numUnseen = 6;
    o.nonlinear = true;
    zsltest::SyntheticProblem p = zsltest::makeSyntheticProblem(o);
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(reproducibilityParams(std::atoi(method)));
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen); // GENERATIVE trains its classifier on synthesised unseen features here
    zsl->save(out);
}

TEST(ZSL_Reproducibility, trainedModelsAreBitIdenticalAcrossProcesses)
{
    const std::string dir = zsltest::tempDir();
    int compared = 0;
    std::vector<std::string> threadDependent;
    for (int method = 0; method < (int)(sizeof(kMethodNames) / sizeof(kMethodNames[0])); method++)
    {
        std::string byThreads[2];
        for (int threads = 1; threads <= 2; threads++)
        {
            std::string files[2];
            for (int run = 0; run < 2; run++)
            {
                files[run] = cv::format("%s/%s_t%d_run%d.yml", dir.c_str(), kMethodNames[method], threads, run);
                // OpenBLAS (large products) gets the same thread count as cv::parallel_for_.
                const int rc = runChild({cv::format("ZSL_REPRO_METHOD=%d", method),
                                         cv::format("ZSL_REPRO_THREADS=%d", threads),
                                         cv::format("OPENBLAS_NUM_THREADS=%d", threads),
                                         "ZSL_REPRO_OUT=" + files[run]});
                ASSERT_EQ(rc, 0) << kMethodNames[method] << ": the child process failed";
            }
            const std::string a = readBytes(files[0]), b = readBytes(files[1]);
            ASSERT_GT(a.size(), 100u) << files[0];
            EXPECT_TRUE(a == b) << kMethodNames[method] << " with " << threads
                                << " threads: two processes saved different models (" << files[0] << ", " << files[1] << ")";
            compared++;
            byThreads[threads - 1] = a;
        }
        if (byThreads[0] != byThreads[1])
            threadDependent.push_back(kMethodNames[method]);
    }
    std::string list;
    for (const std::string& m : threadDependent)
        list += " " + m;
    // Not an assertion: the documented contract is "same seed and thread count"; this records which
    // methods also agree across thread counts (doc/reliability.md).
    std::cout << "[ reproducibility ] " << compared << " (method, threads) pairs byte-identical across processes; "
              << "models that differ between 1 and 2 threads:" << (list.empty() ? " none" : list) << std::endl;
}

}} // namespace
