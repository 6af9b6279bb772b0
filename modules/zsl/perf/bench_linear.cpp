// This file is part of the opencv_zsl module (cv::zsl).
// Benchmark of the closed-form methods at AwA2 scale: ESZSL and SAE training on 23,527 x 2,048 features
// (40 seen classes, 85 attributes) and scoring 100,000 x 2,048 features against 50 classes, next to
// the single-precision GEMM rate measured in the same run. Prints figures; it is not a pass/fail test.
//
//   bench_linear [--train N] [--score M] [--dim D] [--reps R] [--eigen-peer 0|1] [--networks 0|1|2]
// (--networks: scoring of the network methods MLP, CONSE, GENERATIVE, F_CLSWGAN, CADA_VAE, TF_VAEGAN next to
//  the bare products of their layers; 0 skips it, 2 runs only it)
// (--eigen-peer 0 skips the slow Eigen-kernel GEMM reference; tools/bench_closed_form_numpy.py runs it so)
#include <opencv2/core.hpp>
#include <opencv2/zsl.hpp>
#include <Eigen/Dense>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#ifdef ZSL_HAVE_BLAS
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                       const float* beta, float* c, const int* ldc);
extern "C" void ssyrk_(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha,
                       const float* a, const int* lda, const float* beta, float* c, const int* ldc);
extern "C" void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
                       const double* a, const int* lda, const double* beta, double* c, const int* ldc);
#endif

using namespace cv;
using namespace cv::zsl;
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One untimed call first: the peers run in a warm interpreter (numpy's rounds 2-5), so the first call's
// page faults and thread-pool start-up would otherwise count against the module alone.
static double seconds(const std::function<void()>& f, int reps)
{
    f();
    double best = 1e300;
    for (int r = 0; r < reps; r++)
    {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

// Peer of scoring: the bare product of the M x D features with a D x cols matrix on the library's backend;
// prints and returns its best time.
static double bareProductSeconds(const Mat& features, int cols, int reps, const char* backend)
{
    const int M = features.rows, D = features.cols;
    Eigen::MatrixXf B = Eigen::MatrixXf::Random(cols, D), out(cols, M);
#ifdef ZSL_HAVE_BLAS
    const float one = 1, zero = 0;
    const double t = seconds([&] { sgemm_("N", "N", &cols, &M, &D, &one, B.data(), &cols, features.ptr<float>(), &D, &zero, out.data(), &cols); }, reps);
#else
    Eigen::Map<const Eigen::MatrixXf> Xc(features.ptr<float>(), D, M);
    const double t = seconds([&] { out.noalias() = B * Xc; }, reps);
#endif
    std::printf("  peer: bare sgemm %d x %d x %d (%s): %.3f s  %.1f GFLOP/s\n", M, D, cols, backend, t, 2.0 * M * D * cols / t / 1e9);
    return t;
}

// Trains a classifier with `params` on (X, y), registers the unseen classes and returns the best time of
// computeScores(scoreX) (the iterative methods get a few rows and one epoch: weights to score with).
// With predictSeconds: also the best time of predict(scoreX, top-1) in GZSL mode (scores, calibration, top-1).
static double trainedScoringSeconds(const ZeroShotClassifier::Params& params, const Mat& X, const Mat& y,
                                    const ClassPrototypes& seen, const ClassPrototypes& unseen, const Mat& scoreX, int reps,
                                    double* predictSeconds = nullptr)
{
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(X, y, seen);
    zsl->setUnseenClasses(unseen);
    Mat scores, labels, top;
    if (predictSeconds)
    {
        zsl->setMode(ZeroShotClassifier::MODE_GZSL);
        zsl->setCalibration(0.5);
        *predictSeconds = seconds([&] { zsl->predict(scoreX, labels, top, 1); }, reps);
    }
    return seconds([&] { zsl->computeScores(scoreX, scores); }, reps);
}

// The network methods score through their layers: next to the bare products of the same shapes (the first
// one on the features themselves, the others on matrices of the intermediate sizes), summed.
static void networkScoring(const Mat& X, const Mat& y, const ClassPrototypes& seen, const ClassPrototypes& unseen,
                           const Mat& scoreX, int A, int reps, const char* backend)
{
    const int N = X.rows, M = scoreX.rows, D = X.cols, seenClasses = (int)seen.size(), C = seenClasses + (int)unseen.size();
    const int H = 1024, L = 64, rows = std::min(N, 1000);
    struct Net { const char* name; int method; std::vector<std::pair<int, int> > layers; };
    const std::vector<Net> nets = {
        {"MLP", ZeroShotClassifier::MLP, {{D, H}, {H, A}, {A, C}}},               // D-H-A, cosine vs P
        {"CONSE", ZeroShotClassifier::CONSE, {{D, seenClasses}, {A, C}}},         // softmax over seen, cosine
        {"GENERATIVE", ZeroShotClassifier::GENERATIVE, {{D, C}}},                 // softmax over all classes
        {"F_CLSWGAN", ZeroShotClassifier::F_CLSWGAN, {{D, C}}},
        {"CADA_VAE", ZeroShotClassifier::CADA_VAE, {{D, H}, {H, 2 * L}, {L, C}}}, // encoder, latent softmax
        {"TF_VAEGAN", ZeroShotClassifier::TF_VAEGAN, {{D, H}, {H, A}, {D + H + A, C}}}}; // [x, h, Dec(x)]
    for (const Net& n : nets)
    {
        double tBare = 0, flops = 0;
        for (size_t l = 0; l < n.layers.size(); l++)
        {
            const int k = n.layers[l].first, cols = n.layers[l].second;
            Mat in = l == 0 ? scoreX : Mat(M, k, CV_32F, Scalar::all(0.5));
            tBare += bareProductSeconds(in, cols, reps, backend);
            flops += 2.0 * M * k * cols;
        }
        ZeroShotClassifier::Params params;
        params.method = n.method;
        params.epochs = 1;
        params.hiddenSizes = {H};
        params.latentDim = L;
        params.syntheticPerClass = 20;
        double tPredict = 0;
        const double t = trainedScoringSeconds(params, X.rowRange(0, rows), y.rowRange(0, rows), seen, unseen, scoreX, reps,
                                               &tPredict);
        std::printf("  %-13s score %d x %d vs %d classes: %.3f s  %.1f GFLOP/s  (%.0f features/s; %.2f x the bare products' rate, "
                    "bare %.3f s)\n", n.name, M, D, C, t, flops / t / 1e9, M / t, tBare / t, tBare);
        std::printf("  %-13s predict (GZSL, calibrated, top-1): %.3f s  (%.2f x the bare products' rate)\n", n.name, tPredict,
                    tBare / tPredict);
    }
}

int main(int argc, char** argv)
{
    int N = 23527, M = 100000, D = 2048, reps = 2, eigenPeer = 1, networks = 1;
    const int A = 85, seenClasses = 40, unseenClasses = 10;
    for (int i = 1; i + 1 < argc; i += 2)
    {
        if (!std::strcmp(argv[i], "--train")) N = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--score")) M = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--dim")) D = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--reps")) reps = std::max(1, std::atoi(argv[i + 1]));
        else if (!std::strcmp(argv[i], "--eigen-peer")) eigenPeer = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--networks")) networks = std::atoi(argv[i + 1]);
        else { std::fprintf(stderr, "usage: %s [--train N] [--score M] [--dim D] [--reps R] [--eigen-peer 0|1] [--networks 0|1|2]\n", argv[0]); return 2; }
    }
#ifdef ZSL_HAVE_BLAS
    const char* backend = "OpenBLAS (EIGEN_USE_BLAS)";
#else
    const char* backend = "Eigen";
#endif
    std::printf("bench_linear: N=%d train x D=%d, %d seen classes, A=%d; scoring %d x %d vs %d classes; best of %d; "
                "library products: %s; Eigen SIMD: %s\n",
                N, D, seenClasses, A, M, D, seenClasses + unseenClasses, reps, backend, Eigen::SimdInstructionSetsInUse());

    RNG rng(1);
    Mat X(N, D, CV_32F), y(N, 1, CV_32S), protos(seenClasses + unseenClasses, A, CV_32F);
    rng.fill(X, RNG::UNIFORM, 0.0, 1.0);
    rng.fill(protos, RNG::UNIFORM, 0.0, 1.0);
    for (int i = 0; i < N; i++)
        y.at<int>(i) = i % seenClasses;
    std::vector<String> names;
    for (int c = 0; c < protos.rows; c++)
        names.push_back(format("class_%02d", c));
    ClassPrototypes all(names, protos);
    std::vector<int> seenRows, unseenRows;
    for (int c = 0; c < protos.rows; c++)
        (c < seenClasses ? seenRows : unseenRows).push_back(c);
    const ClassPrototypes seen = all.subset(seenRows), unseen = all.subset(unseenRows);
    if (networks == 2)
    {
        Mat scoreX(M, D, CV_32F);
        rng.fill(scoreX, RNG::UNIFORM, 0.0, 1.0);
        networkScoring(X, y, seen, unseen, scoreX, A, reps, backend);
        return 0;
    }

    // Reference rates: the Gram matrix X^T X as a plain GEMM (2 N D^2 flops) and as the symmetric
    // rank-N update the library uses (N D^2 flops), with Eigen's own kernels and, when linked, BLAS.
    Eigen::Map<const RowMatrixXf> Xe(X.ptr<float>(), N, D);
    Eigen::MatrixXf gram(D, D);
    const double gemmFlops = 2.0 * N * D * (double)D, gramFlops = (double)N * D * (double)D;
    double libraryRate = 0;
#ifndef ZSL_HAVE_BLAS
    eigenPeer = 1; // Eigen's kernels are the library's: their rate is the bound
#endif
    if (eigenPeer)
    {
        const double tEigenGemm = seconds([&] { gram.noalias() = Xe.transpose() * Xe; }, reps);
        std::printf("  Eigen sgemm  X^T X (%d x %d x %d): %.3f s  %.1f GFLOP/s\n", D, N, D, tEigenGemm, gemmFlops / tEigenGemm / 1e9);
        libraryRate = gemmFlops / tEigenGemm;
    }
#ifdef ZSL_HAVE_BLAS
    {
        // X is row-major N x D, i.e. column-major D x N: X^T X = Xc Xc^T.
        const float one = 1, zero = 0;
        const double t = seconds([&] { sgemm_("N", "T", &D, &D, &N, &one, X.ptr<float>(), &D, X.ptr<float>(), &D, &zero, gram.data(), &D); }, reps);
        std::printf("  BLAS  sgemm  X^T X (%d x %d x %d): %.3f s  %.1f GFLOP/s\n", D, N, D, t, gemmFlops / t / 1e9);
        libraryRate = gemmFlops / t;
    }
#endif
#ifdef ZSL_HAVE_BLAS
    const double tSyrk = seconds([&] {
        const float one = 1, zero = 0;
        ssyrk_("L", "N", &D, &N, &one, X.ptr<float>(), &D, &zero, gram.data(), &D);
    }, reps);
#else
    const double tSyrk = seconds([&] {
        gram.setZero();
        gram.selfadjointView<Eigen::Lower>().rankUpdate(Xe.transpose());
    }, reps);
#endif
    std::printf("  ssyrk X^T X (float Gram matrix, %s): %.3f s  %.1f GFLOP/s (N D^2 flops)\n", backend, tSyrk,
                gramFlops / tSyrk / 1e9);
#ifdef ZSL_HAVE_BLAS
    {
        // The library accumulates the Gram matrix in double (shard merges must equal one pass): its bound is
        // dsyrk of the widened rows (the widening itself not counted).
        const Eigen::MatrixXd Xd = Xe.cast<double>().transpose(); // column-major D x N
        Eigen::MatrixXd gramD(D, D);
        const double tDsyrk = seconds([&] {
            const double one = 1, zero = 0;
            dsyrk_("L", "N", &D, &N, &one, Xd.data(), &D, &zero, gramD.data(), &D);
        }, reps);
        std::printf("  dsyrk X^T X (double Gram matrix, the library's precision, %s): %.3f s  %.1f GFLOP/s\n", backend,
                    tDsyrk, gramFlops / tDsyrk / 1e9);
    }
#endif
    // GEMM-bound training time: the Gram matrix's N D^2 flops at the GEMM rate of the library's backend.
    const double bound = gramFlops / libraryRate;
    std::printf("  GEMM-bound training time (N D^2 at %.1f GFLOP/s): %.3f s\n", libraryRate / 1e9, bound);

    struct Case { const char* name; int method; int direction; double cubic; };
    const double d3 = (double)D * D * D;
    const Case cases[] = {
        {"ESZSL", ZeroShotClassifier::ESZSL, 0, d3 / 3},                                         // Cholesky
        {"SAE-semantic", ZeroShotClassifier::SAE, ZeroShotClassifier::SAE_SEMANTIC_SPACE, 4 * d3 / 3}, // tridiagonalisation
        {"SAE-visual", ZeroShotClassifier::SAE, ZeroShotClassifier::SAE_VISUAL_SPACE, 4 * d3 / 3},
    };
    Mat scoreX(M, D, CV_32F);
    rng.fill(scoreX, RNG::UNIFORM, 0.0, 1.0);
    {
        // Peer of scoring: the bare product of the features with a D x C matrix, on the library's backend.
        bareProductSeconds(scoreX, seenClasses + unseenClasses, reps, backend);
    }
    for (const Case& c : cases)
    {
        ZeroShotClassifier::Params params;
        params.method = c.method;
        params.saeDirection = c.direction;
        Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
        const bool trainIt = c.method == ZeroShotClassifier::ESZSL || c.direction == ZeroShotClassifier::SAE_SEMANTIC_SPACE;
        if (trainIt)
        {
            const double t = seconds([&] { zsl->train(X, y, seen); }, reps);
            const double flops = gramFlops + c.cubic;
            std::printf("  %-13s train: %.3f s  %.1f GFLOP/s (N D^2 + %s)  %.2f x GEMM-bound\n", c.name, t, flops / t / 1e9,
                        c.method == ZeroShotClassifier::ESZSL ? "D^3/3" : "4 D^3/3", t / bound);
        }
        else
            zsl->train(X, y, seen); // the same weights as SAE-semantic; only the scoring differs
        zsl->setUnseenClasses(unseen);
        Mat scores;
        const int C = seenClasses + unseenClasses;
        // ESZSL and SAE-visual: N D C flops dominate; SAE-semantic: N D A (encoding).
        const double flops = 2.0 * M * D * (c.direction == ZeroShotClassifier::SAE_SEMANTIC_SPACE && c.method == ZeroShotClassifier::SAE ? A : C);
        const double t = seconds([&] { zsl->computeScores(scoreX, scores); }, reps);
        std::printf("  %-13s score %d x %d vs %d classes: %.3f s  %.1f GFLOP/s  (%.0f features/s; GEMM-bound %.3f s)\n",
                    c.name, M, D, C, t, flops / t / 1e9, M / t, flops / libraryRate);
    }

    // The bilinear ranking methods score as (X W) P^T with W D x A: next to the bare product X W of the same
    // shape. Their training is iterative (bench_ranking); one epoch on a few rows gives weights to score with.
    {
        const int C = seenClasses + unseenClasses;
        const double tBare = bareProductSeconds(scoreX, A, reps, backend);
        const double flops = 2.0 * M * D * A + 2.0 * M * A * C;
        const int rows = std::min(N, 2000);
        const struct { const char* name; int method; } bilinear[] = {
            {"ALE", ZeroShotClassifier::ALE}, {"DeViSE", ZeroShotClassifier::DEVISE}, {"SJE", ZeroShotClassifier::SJE}};
        for (const auto& b : bilinear)
        {
            ZeroShotClassifier::Params params;
            params.method = b.method;
            params.epochs = 1;
            const double t = trainedScoringSeconds(params, X.rowRange(0, rows), y.rowRange(0, rows), seen, unseen, scoreX, reps);
            std::printf("  %-13s score %d x %d vs %d classes: %.3f s  %.1f GFLOP/s  (%.0f features/s; %.2f x the bare X W rate)\n",
                        b.name, M, D, C, t, flops / t / 1e9, M / t, (flops / t) / (2.0 * M * D * A / tBare));
        }
    }
    if (networks == 1)
        networkScoring(X, y, seen, unseen, scoreX, A, reps, backend);
    return 0;
}
