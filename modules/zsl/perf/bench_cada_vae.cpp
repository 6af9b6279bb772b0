// This file is part of the opencv_zsl module (cv::zsl).
// Benchmark: one generator's training at AwA2 scale, CADA_VAE against PyTorch
// (tools/bench_torch_cada_vae.py) training the same networks with the same losses, schedule, optimiser,
// batch size, epochs and threads, measured in the same run in interleaved rounds (ours, PyTorch, ours, ...).
//
//   OPENBLAS_NUM_THREADS=2 bench_cada_vae [--rows 23527] [--epochs 100] [--threads 2] [--rounds 3] [--no-torch]
//
// Setup (both sides): N x 2048 uniform random features, 40 seen classes with random 85-d prototypes,
// the paper's CADA-VAE (latent 64; hidden 1560, 1660, 1450, 665; ReLU; Adam 1.5e-4; batch 50; 100
// epochs). Measured: the generator's training (first to last epoch), not the latent classifier.
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include "opencv2/zsl.hpp"
#include "nn/nn_gemm.hpp"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

static double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

int main(int argc, char** argv)
{
    int rows = 23527, epochs = 100, threads = 2, rounds = 3;
    bool torch = true;
    for (int i = 1; i < argc; i++)
    {
        auto next = [&]() { if (i + 1 >= argc) { std::fprintf(stderr, "missing value after %s\n", argv[i]); std::exit(2); } return std::atoi(argv[++i]); };
        if (!std::strcmp(argv[i], "--rows")) rows = next();
        else if (!std::strcmp(argv[i], "--epochs")) epochs = next();
        else if (!std::strcmp(argv[i], "--threads")) threads = next();
        else if (!std::strcmp(argv[i], "--rounds")) rounds = next();
        else if (!std::strcmp(argv[i], "--no-torch")) torch = false;
        else { std::fprintf(stderr, "usage: %s [--rows N] [--epochs E] [--threads T] [--rounds R] [--no-torch]\n", argv[0]); return 2; }
    }
    if (rows < 1 || epochs < 1 || threads < 1 || rounds < 1)
    {
        std::fprintf(stderr, "bench_cada_vae: --rows, --epochs, --threads and --rounds must be positive\n");
        return 2;
    }
    const int D = 2048, A = 85, C = 40;
    cv::setNumThreads(threads);
    const char* blasThreads = std::getenv("OPENBLAS_NUM_THREADS");
    std::printf("bench_cada_vae: CADA_VAE, %d rows x %d, %d classes, %d-d prototypes, %d epochs, batch 50, %d threads, "
                "%d interleaved rounds\nengine GEMM: %s; OPENBLAS_NUM_THREADS=%s\n", rows, D, C, A, epochs, threads, rounds,
                cv::zsl::detail::nn::gemmBackend(), blasThreads ? blasThreads : "(unset)");

    cv::RNG rng(1);
    cv::Mat X(rows, D, CV_32F), P(C, A, CV_32F), y(rows, 1, CV_32S);
    rng.fill(X, cv::RNG::UNIFORM, 0.0, 1.0);
    rng.fill(P, cv::RNG::UNIFORM, 0.0, 1.0);
    rng.fill(y, cv::RNG::UNIFORM, 0, C);
    std::vector<cv::String> names;
    for (int c = 0; c < C; c++)
        names.push_back(cv::format("c%02d", c));
    cv::zsl::ZeroShotClassifier::Params params;
    params.method = cv::zsl::ZeroShotClassifier::CADA_VAE;
    params.hiddenSizes = {1560, 1660, 1450, 665};
    params.latentDim = 64;
    params.learningRate = 1.5e-4;
    params.batchSize = 50;
    params.epochs = epochs;
    params.syntheticPerClass = 400;

    namespace fs = std::filesystem;
    // The peer script: beside the source tree of this file (an absolute __FILE__), else the build folder's parent.
    fs::path script = (fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "tools" / "bench_torch_cada_vae.py").lexically_normal();
    std::error_code ec;
    if (!fs::exists(script, ec))
        script = (fs::canonical("/proc/self/exe", ec).parent_path() / ".." / "tools" / "bench_torch_cada_vae.py").lexically_normal();
    std::vector<double> ours, theirs;
    for (int r = 0; r < rounds; r++)
    {
        cv::Ptr<cv::zsl::ZeroShotClassifier> zsl = cv::zsl::ZeroShotClassifier::create(params);
        Clock::time_point start, lastEpoch;
        zsl->setProgressCallback([&](const cv::zsl::TrainingProgress& p) {
            lastEpoch = Clock::now();
            if (p.epoch == epochs || p.epoch % 10 == 0)
                std::printf("zsl round %d epoch %d/%d loss %.4f (%.1f s)\n", r + 1, p.epoch, p.epochs, p.loss,
                            std::chrono::duration<double>(lastEpoch - start).count());
            std::fflush(stdout);
        });
        start = Clock::now();
        zsl->train(X, y, cv::zsl::ClassPrototypes(names, P));
        ours.push_back(std::chrono::duration<double>(lastEpoch - start).count());
        std::printf("zsl_seconds_total round %d: %.3f\n", r + 1, ours.back());
        if (!torch)
            continue;
        const std::string cmd = cv::format("/usr/bin/python3 '%s' --rows %d --epochs %d --threads %d 2>&1",
                                           script.string().c_str(), rows, epochs, threads);
        FILE* pipe = popen(cmd.c_str(), "r");
        if (!pipe)
        {
            std::printf("PyTorch peer: cannot run %s\n", cmd.c_str());
            return 1;
        }
        char line[512];
        double t = -1;
        while (std::fgets(line, sizeof(line), pipe))
        {
            if (std::strncmp(line, "epoch ", 6) != 0)
                std::printf("torch: %s", line);
            std::sscanf(line, "torch_seconds_total %lf", &t);
        }
        const int rc = pclose(pipe);
        if (rc != 0 || t <= 0)
        {
            std::printf("PyTorch peer failed (exit %d); is python3-torch installed?\n", rc);
            return 1;
        }
        theirs.push_back(t);
        std::printf("torch_seconds_total round %d: %.3f\n", r + 1, t);
    }
    std::printf("zsl median %.3f s", median(ours));
    if (torch)
        std::printf(", PyTorch median %.3f s, RESULT ratio zsl/PyTorch %.2f (< 1: zsl faster)", median(theirs),
                    median(ours) / median(theirs));
    std::printf("\n");
    return 0;
}
