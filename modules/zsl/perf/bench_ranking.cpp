// This file is part of the opencv_zsl module (cv::zsl).
// Benchmark: one ALE training epoch at AwA2 scale (23,527 x 2,048 features, 40 seen classes, 85 attributes)
// through cv::zsl::ZeroShotClassifier, against the same computation in PyTorch (tools/bench_torch_ale.py),
// run by this program so that both are measured on the same machine in the same run.
//
//   ./build/bench_ranking [--epochs=4] [--threads=2] [--batch=64] [--torch=<script>|none]
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include "opencv2/zsl.hpp"
#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <cstdio>
#include <string>
#include <vector>

using namespace cv;
using namespace cv::zsl;

static double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// The machine's load when measuring: on a shared machine wall-clock times say as much about it as about us.
static std::string loadAverage()
{
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

static double valueAfter(const std::string& s, const std::string& key)
{
    const size_t pos = s.find(key + "=");
    return pos == std::string::npos ? -1 : std::atof(s.c_str() + pos + key.size() + 1);
}

// Runs the PyTorch peer and returns its output line (empty when it could not run).
static std::string runTorch(const std::string& python, const std::string& script, const std::string& args)
{
    const std::string cmd = python + " " + script + " " + args + " 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe)
        return std::string();
    char buf[4096];
    std::string line;
    while (fgets(buf, sizeof(buf), pipe))
    {
        if (std::string(buf).find("torch_epoch_seconds=") != std::string::npos)
            line = buf;
        else
            fputs(buf, stderr);
    }
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.pop_back();
    return pclose(pipe) == 0 ? line : std::string();
}

int main(int argc, char** argv)
{
    const std::string defaultScript = std::string(__FILE__).substr(0, std::string(__FILE__).rfind("/modules/")) +
                                      "/tools/bench_torch_ale.py";
    CommandLineParser parser(argc, argv,
        "{help h  |      | print this help}"
        "{n       |23527 | training samples (AwA2 trainval)}"
        "{d       |2048  | feature dimension (ResNet-101)}"
        "{a       |85    | attribute dimension}"
        "{c       |40    | seen classes}"
        "{batch   |64    | minibatch size}"
        "{epochs  |4     | epochs (the first is reported apart: warm-up)}"
        "{threads |2     | cv::setNumThreads and torch.set_num_threads}"
        "{python  |/usr/bin/python3 | Debian interpreter with python3-torch}"
        "{omp     |passive| OMP_WAIT_POLICY of the PyTorch peer: passive, active, or default (left unset). With the "
        "default (active) policy its OpenMP threads spin, which collapses on an oversubscribed machine}"
        "{torch   |<none>| peer script (default: tools/bench_torch_ale.py of this source tree; 'none' skips it)}");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const int N = parser.get<int>("n"), D = parser.get<int>("d"), A = parser.get<int>("a"), C = parser.get<int>("c");
    const int batch = parser.get<int>("batch"), epochs = parser.get<int>("epochs"), threads = parser.get<int>("threads");
    // CommandLineParser reads "--n 100" (a space, not '=') as a flag: its value arrives as 0.
    if (N < 1 || D < 1 || A < 1 || C < 2 || batch < 1 || epochs < 1 || threads < 0)
    {
        std::fprintf(stderr, "bench_ranking: need n, d, a, batch, epochs >= 1, c >= 2, threads >= 0 "
                             "(got %d, %d, %d, %d, %d, %d, %d); write options as --n=N\n", N, D, A, batch, epochs, C, threads);
        return 2;
    }
    std::string script = parser.get<std::string>("torch");
    if (script.empty() || script == "<none>")
        script = defaultScript;
    cv::setNumThreads(threads);

    Mat X(N, D, CV_32F), S(C, A, CV_32F), y(N, 1, CV_32S);
    RNG rng(0);
    rng.fill(X, RNG::NORMAL, 0, 1);
    rng.fill(S, RNG::UNIFORM, 0, 1);
    rng.fill(y, RNG::UNIFORM, 0, C);
    std::vector<String> names;
    for (int c = 0; c < C; c++)
        names.push_back(format("class_%d", c));

    ZeroShotClassifier::Params params;
    params.method = ZeroShotClassifier::ALE;
    params.epochs = epochs;
    params.batchSize = batch;
    params.learningRate = 1e-3;
    params.weightDecay = 1e-4;
    Ptr<ZeroShotClassifier> ale = ZeroShotClassifier::create(params);
    std::vector<double> times, cpuTimes;
    auto last = std::chrono::steady_clock::now();
    std::clock_t lastCpu = std::clock();
    double lastLoss = 0;
    ale->setProgressCallback([&](const TrainingProgress& p) {
        const auto now = std::chrono::steady_clock::now();
        const std::clock_t cpu = std::clock();
        times.push_back(std::chrono::duration<double>(now - last).count());
        cpuTimes.push_back((double)(cpu - lastCpu) / CLOCKS_PER_SEC);
        last = now;
        lastCpu = cpu;
        lastLoss = p.loss;
    });
    const std::string loadBefore = loadAverage();
    last = std::chrono::steady_clock::now();
    lastCpu = std::clock();
    ale->train(X, y, ClassPrototypes(names, S));
    // The first interval also holds the copy of the features into the model's format: report it apart.
    const size_t skip = times.size() > 1 ? 1 : 0;
    const double ours = median(std::vector<double>(times.begin() + skip, times.end()));
    const double oursCpu = median(std::vector<double>(cpuTimes.begin() + skip, cpuTimes.end()));
    printf("ALE epoch, N=%d D=%d A=%d C=%d batch=%d, %d thread(s); load average %s\n", N, D, A, C, batch,
           cv::getNumThreads(), loadBefore.c_str());
    printf("  cv::zsl   : %.4f s/epoch wall, %.4f s/epoch CPU (medians of %d; first epoch incl. setup %.4f s; last loss %.4f)\n",
           ours, oursCpu, (int)(times.size() - skip), times.empty() ? 0.0 : times[0], lastLoss);

    if (script != "none")
    {
        const std::string omp = parser.get<std::string>("omp");
        const std::string env = omp == "default" ? std::string() : "OMP_WAIT_POLICY=" + omp + " ";
        printf("  PyTorch peer: %s%s %s, OMP_WAIT_POLICY=%s\n", env.c_str(), parser.get<std::string>("python").c_str(),
               script.c_str(), omp.c_str());
        fflush(stdout);
        const std::string line = runTorch(env + parser.get<std::string>("python"), script,
                                          format("--n %d --d %d --a %d --c %d --batch %d --epochs %d --threads %d",
                                                 N, D, A, C, batch, epochs, threads));
        const double torch = valueAfter(line, "torch_epoch_seconds"), torchCpu = valueAfter(line, "torch_epoch_cpu_seconds");
        if (torch > 0)
        {
            printf("  PyTorch   : %.4f s/epoch wall, %.4f s/epoch CPU (%s)\n", torch, torchCpu, line.c_str());
            printf("  ratio     : PyTorch / cv::zsl = %.2f wall, %.2f CPU (above 1: cv::zsl is faster); load average %s\n",
                   torch / ours, torchCpu / oursCpu, loadAverage().c_str());
        }
        else
            printf("  PyTorch   : not measured (%s %s failed; install python3-torch)\n",
                   parser.get<std::string>("python").c_str(), script.c_str());
    }
    return 0;
}
