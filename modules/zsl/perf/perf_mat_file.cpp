// This file is part of the opencv_zsl module (cv::zsl).
// Benchmark: res101.mat-style feature files through MatFile (zlib level-5 MAT) against the same
// matrix through cv::FileStorage (YAML, base64), and the load time of the real GBU split files.
//   perf_mat_file [--n=5000] [--d=2048] [--gbu=<dir with AWA2/att_splits.mat ...>]
#include <opencv2/core.hpp>
#include <opencv2/zsl.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <unistd.h>
#include <iostream>

static double seconds(const std::function<void()>& f)
{
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int main(int argc, char** argv)
{
    cv::CommandLineParser parser(argc, argv,
                                 "{n | 5000 | images}{d | 2048 | feature dimension}{gbu | | GBU data folder}"
                                 "{repeat | 3 | timing repetitions (best is reported)}");
    const int n = parser.get<int>("n"), d = parser.get<int>("d"), repeat = std::max(1, parser.get<int>("repeat"));
    // CommandLineParser reads "--n 100" (a space, not '=') as a flag: its value arrives as 0.
    if (n < 1 || d < 1)
    {
        std::fprintf(stderr, "perf_mat_file: need n, d >= 1 (got %d, %d); write options as --n=N\n", n, d);
        return 2;
    }
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / cv::format("zsl_perf_mat_%d", (int)::getpid());
    fs::create_directories(dir);

    // ResNet pool5 features are non-negative and sparse-ish; ReLU of a Gaussian imitates them.
    cv::Mat features(n, d, CV_32F), labels(n, 1, CV_32S);
    cv::RNG rng(1);
    rng.fill(features, cv::RNG::NORMAL, 0, 1);
    features = cv::max(features, 0);
    for (int i = 0; i < n; i++)
        labels.at<int>(i) = i % 50;
    cv::zsl::GbuSplits splits;
    std::vector<cv::String> names;
    for (int c = 0; c < 50; c++)
        names.push_back(cv::format("class_%d", c + 1));
    cv::Mat protos(50, 85, CV_32F);
    rng.fill(protos, cv::RNG::UNIFORM, 0, 1);
    splits.prototypes = cv::zsl::ClassPrototypes(names, protos);
    for (int i = 0; i < n; i++)
        (i % 5 ? splits.trainval : splits.testUnseen).push_back(i);

    const std::string mat = (dir / "res101.mat").string(), att = (dir / "att_splits.mat").string();
    const std::string yml = (dir / "features.yml").string();
    double wMat = 1e9, rMat = 1e9, wYml = 1e9, rYml = 1e9;
    for (int r = 0; r < repeat; r++)
    {
        wMat = std::min(wMat, seconds([&] { cv::zsl::writeGbuFeatures(mat, features, labels); splits.write(att); }));
        rMat = std::min(rMat, seconds([&] {
            cv::zsl::GbuDataset ds = cv::zsl::GbuDataset::load(mat, att);
            CV_Assert(cv::norm(ds.features, features, cv::NORM_INF) == 0);
        }));
        wYml = std::min(wYml, seconds([&] {
            cv::FileStorage fs(yml, cv::FileStorage::WRITE | cv::FileStorage::BASE64);
            fs << "features" << features << "labels" << labels;
        }));
        rYml = std::min(rYml, seconds([&] {
            cv::FileStorage fs(yml, cv::FileStorage::READ);
            cv::Mat f, l;
            fs["features"] >> f;
            fs["labels"] >> l;
            CV_Assert(cv::norm(f, features, cv::NORM_INF) == 0);
        }));
    }
    const double mb = (double)n * d * 4 / (1 << 20);
    std::printf("features %d x %d (%.1f MiB as float), best of %d\n", n, d, mb, repeat);
    std::printf("  MatFile (res101.mat, zlib, double)  write %.3f s  read+check %.3f s  file %.1f MiB\n", wMat, rMat,
                fs::file_size(mat) / 1048576.0);
    std::printf("  FileStorage (YAML base64, float)     write %.3f s  read+check %.3f s  file %.1f MiB\n", wYml, rYml,
                fs::file_size(yml) / 1048576.0);
    std::printf("  read ratio FileStorage / MatFile: %.2f\n", rYml / rMat);

    const std::string gbu = parser.get<std::string>("gbu");
    if (!gbu.empty())
        for (const char* f : { "AWA1/att_splits.mat", "AWA2/att_splits.mat", "CUB/sent_splits.mat", "FLO/att_splits.mat",
                               "SUN/att_splits.mat" })
        {
            const std::string path = gbu + "/" + f;
            if (!fs::exists(path))
                continue;
            double best = 1e9;
            for (int r = 0; r < repeat; r++)
                best = std::min(best, seconds([&] { cv::zsl::GbuSplits::read(path); }));
            std::printf("  GbuSplits::read %-22s %.1f ms\n", f, best * 1e3);
        }
    fs::remove_all(dir);
    return 0;
}
