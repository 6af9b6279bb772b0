// This file is part of the opencv_zsl module (cv::zsl).
// Benchmark: seconds per training epoch of the MLP (Method MLP) at AwA2 scale against PyTorch
// (tools/bench_torch_mlp.py) training the same network on the same data shape, batch size and number
// of threads, measured in the same run. Also prints the GEMM throughput of the engine's three products.
//
//   bench_trainable [--rows 23527] [--epochs 2] [--threads 2] [--batch 64] [--no-torch]
//
// Setup (both sides): N x 2048 uniform random features, 40 classes with random 85-d prototypes,
// 2048 -> 1024 -> 85 with ReLU, MSE loss, Adam lr 1e-3, minibatch 64 reshuffled every epoch.
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

static double gemmGflops(int m, int k, int n, int mode)
{
    using cv::zsl::detail::RowMatrixXf;
    RowMatrixXf A, B, C;
    if (mode == 0) { A = RowMatrixXf::Random(m, k); B = RowMatrixXf::Random(k, n); }      // x W
    else if (mode == 1) { A = RowMatrixXf::Random(k, m); B = RowMatrixXf::Random(k, n); } // x^T g
    else { A = RowMatrixXf::Random(m, k); B = RowMatrixXf::Random(n, k); }                // g W^T
    auto run = [&]() {
        if (mode == 0) cv::zsl::detail::nn::matmul(A, B, C);
        else if (mode == 1) cv::zsl::detail::nn::matmulTN(A, B, C);
        else cv::zsl::detail::nn::matmulNT(A, B, C);
    };
    run();
    const int reps = 30;
    auto t0 = Clock::now();
    for (int r = 0; r < reps; r++)
        run();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    return 2.0 * m * k * n * reps / s * 1e-9;
}

int main(int argc, char** argv)
{
    int rows = 23527, epochs = 2, threads = 2, batch = 64;
    bool torch = true;
    for (int i = 1; i < argc; i++)
    {
        auto next = [&]() { if (i + 1 >= argc) { std::fprintf(stderr, "missing value after %s\n", argv[i]); std::exit(2); } return std::atoi(argv[++i]); };
        if (!std::strcmp(argv[i], "--rows")) rows = next();
        else if (!std::strcmp(argv[i], "--epochs")) epochs = next();
        else if (!std::strcmp(argv[i], "--threads")) threads = next();
        else if (!std::strcmp(argv[i], "--batch")) batch = next();
        else if (!std::strcmp(argv[i], "--no-torch")) torch = false;
        else { std::fprintf(stderr, "usage: %s [--rows N] [--epochs E] [--threads T] [--batch B] [--no-torch]\n", argv[0]); return 2; }
    }
    const int D = 2048, H = 1024, A = 85, C = 40;
    cv::setNumThreads(threads);
    std::printf("bench_trainable: MLP %d -> %d -> %d (ReLU, MSE, Adam 1e-3), %d rows, batch %d, %d threads, %d epochs\n",
                D, H, A, rows, batch, threads, epochs);
    std::printf("engine GEMM: %s\n", cv::zsl::detail::nn::gemmBackend());
    // A BLAS build threads inside the BLAS: launch it with OPENBLAS_NUM_THREADS=<threads> for a fair run.
    const char* blasThreads = std::getenv("OPENBLAS_NUM_THREADS");
    std::printf("OPENBLAS_NUM_THREADS=%s\n", blasThreads ? blasThreads : "(unset)");
    std::printf("GEMM GFLOP/s at batch %d: forward x*W %.1f, weight grad x^T*g %.1f, input grad g*W^T %.1f\n", batch,
                gemmGflops(batch, D, H, 0), gemmGflops(D, batch, H, 1), gemmGflops(batch, H, D, 2));

    cv::RNG rng(1);
    cv::Mat X(rows, D, CV_32F), P(C, A, CV_32F), y(rows, 1, CV_32S);
    rng.fill(X, cv::RNG::UNIFORM, 0.0, 1.0);
    rng.fill(P, cv::RNG::UNIFORM, 0.0, 1.0);
    rng.fill(y, cv::RNG::UNIFORM, 0, C);
    std::vector<cv::String> names;
    for (int c = 0; c < C; c++)
        names.push_back(cv::format("c%02d", c));
    cv::zsl::ZeroShotClassifier::Params params;
    params.method = cv::zsl::ZeroShotClassifier::MLP;
    params.hiddenSizes = {H};
    params.leakyReluSlope = 0;
    params.loss = cv::zsl::ZeroShotClassifier::LOSS_MSE;
    params.learningRate = 1e-3;
    params.batchSize = batch;
    params.epochs = epochs;
    cv::Ptr<cv::zsl::ZeroShotClassifier> zsl = cv::zsl::ZeroShotClassifier::create(params);
    std::vector<double> epochSeconds;
    auto last = Clock::now();
    zsl->setProgressCallback([&](const cv::zsl::TrainingProgress& p) {
        auto now = Clock::now();
        epochSeconds.push_back(std::chrono::duration<double>(now - last).count());
        last = now;
        std::printf("zsl epoch %d seconds %.3f loss %.5f\n", p.epoch, epochSeconds.back(), p.loss);
        std::fflush(stdout);
    });
    last = Clock::now();
    zsl->train(X, y, cv::zsl::ClassPrototypes(names, P));
    // The fastest epoch: on a shared machine the slower ones measure the neighbours, not the code.
    const double ours = *std::min_element(epochSeconds.begin(), epochSeconds.end());
    std::printf("zsl_seconds_per_epoch %.3f (median %.3f)\n", ours, median(epochSeconds));

    if (!torch)
        return 0;
    namespace fs = std::filesystem;
    const fs::path script = (fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "tools" / "bench_torch_mlp.py").lexically_normal();
    const std::string cmd = cv::format("/usr/bin/python3 '%s' --rows %d --epochs %d --threads %d --batch %d 2>&1",
                                       script.string().c_str(), rows, epochs, threads, batch);
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe)
    {
        std::printf("PyTorch peer: cannot run %s\n", cmd.c_str());
        return 1;
    }
    char line[512];
    double theirs = -1;
    while (std::fgets(line, sizeof(line), pipe))
    {
        std::printf("torch: %s", line);
        std::sscanf(line, "torch_seconds_per_epoch %lf", &theirs);
    }
    const int rc = pclose(pipe);
    if (rc != 0 || theirs <= 0)
    {
        std::printf("PyTorch peer failed (exit %d); is python3-torch installed?\n", rc);
        return 1;
    }
    std::printf("RESULT seconds/epoch: zsl %.3f, PyTorch %.3f, ratio zsl/PyTorch %.2f (< 1: zsl faster)\n",
                ours, theirs, ours / theirs);
    return 0;
}
