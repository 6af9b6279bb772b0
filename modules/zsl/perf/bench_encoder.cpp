// This file is part of the opencv_zsl module (cv::zsl).
// Visual encoder throughput, ResNet18 at 224x224 (tools/export_resnet18.py), images/s at batch 1 and 32:
//   (a) raw cv::dnn::Net::forward to the global pooling layer on a ready blob,
//   (b) the module's whole path: decoded cv::Mat -> VisualEncoder (preprocessing + forward) -> ZeroShotClassifier top-5,
//   (c) ONNX Runtime (npm onnxruntime-node, CPU) on the same .onnx with the same thread count (tools/bench_onnxruntime.js).
// Measurements are interleaved round by round so that load from other processes hits all three alike; the
// figures are medians over rounds. Also: two threads calling encode() on one encoder (mutex) vs two network copies.
//
//   ninja -C build zsl_models && (cd tools && npm install --ignore-scripts onnxruntime-node)
//   ./build/bench_encoder [--model=build/models/resnet18.onnx] [--threads=2] [--rounds=3] [--seconds=4]
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/zsl.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <thread>
#include <time.h>

using namespace cv;
namespace fs = std::filesystem;

namespace {

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds used by this process (all threads): unlike wall time, hardly affected by other processes
// taking turns on the cores (the machine is shared), so it gives a steadier (b)/(a) ratio.
double cpuTime()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

struct Rate
{
    double imagesPerSecond = 0; // wall clock
    double cpuMsPerImage = 0;   // process CPU time
};

// Throughput of `step` (which handles `perCall` images): at least `seconds` and 2 calls, after one warm-up.
Rate throughput(const std::function<void()>& step, int perCall, double seconds)
{
    step();
    int calls = 0;
    const double t0 = now(), c0 = cpuTime();
    double elapsed = 0;
    do
    {
        step();
        calls++;
        elapsed = now() - t0;
    } while (elapsed < seconds || calls < 2);
    Rate r;
    r.imagesPerSecond = calls * perCall / elapsed;
    r.cpuMsPerImage = 1000.0 * (cpuTime() - c0) / (calls * perCall);
    return r;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]));
}

// Runs tools/bench_onnxruntime.js; imagesPerSecond -1 when node / onnxruntime-node are not there.
Rate onnxRuntime(const std::string& script, const std::string& model, int batch, int threads, double seconds, std::string& version)
{
    Rate rate;
    rate.imagesPerSecond = -1;
    const std::string cmd = format("node '%s' '%s' %d %d %g 2>&1", script.c_str(), model.c_str(), batch, threads, seconds);
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe)
        return rate;
    char line[1024];
    double ips = -1, cpu = 0;
    while (fgets(line, sizeof(line), pipe))
    {
        std::string s(line);
        const size_t p = s.find("images_per_s=");
        if (s.rfind("ort ", 0) == 0 && p != std::string::npos)
        {
            ips = std::atof(s.c_str() + p + 13);
            const size_t q = s.find("cpu_ms_per_image=");
            cpu = q == std::string::npos ? 0 : std::atof(s.c_str() + q + 17);
            const size_t v = s.find("version=");
            version = s.substr(v + 8, s.find(' ', v) - v - 8);
        }
        else
            std::cerr << "  onnxruntime: " << s;
    }
    if (pclose(pipe) == 0)
    {
        rate.imagesPerSecond = ips;
        rate.cpuMsPerImage = cpu;
    }
    return rate;
}

std::string defaultModel(const char* argv0)
{
    if (const char* env = std::getenv("ZSL_BUILD_DIR"))
        return (fs::path(env) / "models" / "resnet18.onnx").string();
    return (fs::absolute(argv0).parent_path() / "models" / "resnet18.onnx").string();
}

} // namespace

int main(int argc, char** argv)
{
    CommandLineParser parser(argc, argv,
        "{help h     |    | print this message }"
        "{model      |    | ResNet18 .onnx (default: models/resnet18.onnx beside this program) }"
        "{images     |    | folder of images (default: the model's folder/images) }"
        "{threads    | 2  | cv::setNumThreads and ONNX Runtime intra-op threads }"
        "{rounds     | 3  | interleaved rounds (medians reported) }"
        "{seconds    | 4  | minimum seconds per measurement }"
        "{ort        | true | also run ONNX Runtime (node tools/bench_onnxruntime.js) }");
    parser.about("Visual encoder benchmark: raw cv::dnn forward vs the module's path vs ONNX Runtime");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    std::string model = parser.get<String>("model");
    if (model.empty())
        model = defaultModel(argv[0]);
    std::string imageDir = parser.get<String>("images");
    if (imageDir.empty())
        imageDir = (fs::path(model).parent_path() / "images").string();
    const int threads = parser.get<int>("threads"), rounds = parser.get<int>("rounds");
    const double seconds = parser.get<double>("seconds");
    const bool useOrt = parser.get<bool>("ort");
    if (!fs::exists(model))
    {
        std::cerr << "bench_encoder: no model '" << model << "': run `ninja -C build zsl_models` first" << std::endl;
        return 1;
    }
    const std::string ortScript = (fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "tools" / "bench_onnxruntime.js").lexically_normal().string();
    setNumThreads(threads);

    // Decoded images, cycled to fill a batch of 32 (sizes as they come: 500x375 ... 150x100).
    std::vector<String> files;
    glob(imageDir + "/*.png", files, false);
    std::vector<Mat> decoded;
    for (const String& f : files)
        decoded.push_back(imread(f, IMREAD_COLOR));
    if (decoded.empty())
    {
        std::cerr << "bench_encoder: no images in " << imageDir << std::endl;
        return 1;
    }
    std::vector<Mat> images32;
    for (int i = 0; i < 32; i++)
        images32.push_back(decoded[i % decoded.size()]);

    Ptr<zsl::VisualEncoder> encoder = zsl::VisualEncoder::create(model, "", zsl::EncoderPreprocessing::torchvision());
    const String pool = encoder->getFeatureLayer();

    // A classifier on the encoder: ESZSL trained on synthetic 512-d features, 50 unseen classes for top-5.
    RNG rng(1);
    Mat protos(90, 85, CV_32F), X(400, encoder->getFeatureDim(), CV_32F), y(400, 1, CV_32S);
    rng.fill(protos, RNG::UNIFORM, 0, 1);
    rng.fill(X, RNG::NORMAL, 0, 1);
    for (int i = 0; i < y.rows; i++)
        y.at<int>(i) = i % 40;
    std::vector<String> seenNames, unseenNames;
    for (int c = 0; c < 90; c++)
        (c < 40 ? seenNames : unseenNames).push_back(format("class%02d", c));
    zsl::ZeroShotClassifier::Params params;
    Ptr<zsl::ZeroShotClassifier> zsl = zsl::ZeroShotClassifier::create(params, encoder);
    zsl->train(X, y, zsl::ClassPrototypes(seenNames, protos.rowRange(0, 40)));
    zsl->setUnseenClasses(zsl::ClassPrototypes(unseenNames, protos.rowRange(40, 90)));

    dnn::Net net = dnn::readNet(model);
    net.setPreferableBackend(dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(dnn::DNN_TARGET_CPU);

    std::printf("bench_encoder: %s, feature layer '%s', %d threads, OpenCV %s, %d rounds x >= %.0f s\n", model.c_str(),
                pool.c_str(), threads, CV_VERSION, rounds, seconds);
    std::string ortVersion = "n/a";
    for (int batch : {1, 32})
    {
        std::vector<Mat> images(images32.begin(), images32.begin() + batch);
        Mat blob;
        encoder->preprocess(images, blob);
        encoder->setBatchSize(batch);
        std::vector<double> a, b, c, ratio, cpuA, cpuB, cpuC;
        for (int r = 0; r < rounds; r++)
        {
            const Rate ra = throughput([&]() { net.setInput(blob); Mat out = net.forward(pool); }, batch, seconds);
            const Rate rb = throughput([&]() { Mat labels, scores; zsl->predictImages(images, labels, scores, 5); }, batch, seconds);
            a.push_back(ra.imagesPerSecond);
            b.push_back(rb.imagesPerSecond);
            cpuA.push_back(ra.cpuMsPerImage);
            cpuB.push_back(rb.cpuMsPerImage);
            ratio.push_back(b.back() / a.back());
            Rate rc;
            if (useOrt)
            {
                rc = onnxRuntime(ortScript, model, batch, threads, seconds, ortVersion);
                if (rc.imagesPerSecond > 0)
                {
                    c.push_back(rc.imagesPerSecond);
                    cpuC.push_back(rc.cpuMsPerImage);
                }
            }
            std::printf("  batch %2d round %d: (a) %.2f  (b) %.2f  (c) %s images/s; CPU ms/image (a) %.1f  (b) %.1f  (c) %s\n",
                        batch, r + 1, a.back(), b.back(), rc.imagesPerSecond > 0 ? format("%.2f", rc.imagesPerSecond).c_str() : "n/a",
                        ra.cpuMsPerImage, rb.cpuMsPerImage, rc.imagesPerSecond > 0 ? format("%.1f", rc.cpuMsPerImage).c_str() : "n/a");
            std::fflush(stdout);
        }
        {
            // What limits (a): cv::dnn's own per-layer timings of one forward pass, summed by layer type.
            net.setInput(blob);
            net.forward(pool);
            std::vector<double> times;
            const double total = (double)net.getPerfProfile(times);
            std::map<String, double> byType;
            const std::vector<String> names = net.getLayerNames();
            for (size_t i = 0; i < names.size() && i < times.size(); i++)
                byType[net.getLayer(net.getLayerId(names[i]))->type] += times[i];
            std::printf("          cv::dnn profile, batch %d:", batch);
            for (const auto& kv : byType)
                if (kv.second > 0)
                    std::printf(" %s %.1f%%", kv.first.c_str(), 100.0 * kv.second / total);
            std::printf("\n");
        }
        // Where (b) spends its time beyond (a): preprocessing and the classifier, timed alone.
        const Rate pre = throughput([&]() { Mat bl; encoder->preprocess(images, bl); }, batch, 1.0);
        Mat feats;
        encoder->encode(images, feats);
        const Rate cls = throughput([&]() { Mat l, s; zsl->predict(feats, l, s, 5); }, batch, 0.5);
        std::printf("batch %2d: (a) raw Net::forward %.2f images/s | (b) module Mat->top-5 %.2f images/s | (b)/(a) wall %.3f "
                    "(median of per-round ratios %.3f), CPU time %.3f\n", batch, median(a), median(b), median(b) / median(a),
                    median(ratio), median(cpuA) / median(cpuB));
        std::printf("          preprocessing alone %.2f ms/image wall (%.2f CPU ms), classifier top-5 %.4f ms/image\n",
                    1000.0 / pre.imagesPerSecond, pre.cpuMsPerImage, 1000.0 / cls.imagesPerSecond);
        if (!c.empty())
            std::printf("          (c) ONNX Runtime %s %.2f images/s | (a)/(c) wall %.3f, CPU time (c)/(a) %.3f\n", ortVersion.c_str(),
                        median(c), median(a) / median(c), median(cpuC) / median(cpuA));
        else
            std::printf("          (c) ONNX Runtime: not run (node + `cd tools && npm install --ignore-scripts onnxruntime-node`)\n");
        std::fflush(stdout);
    }

    // Two threads calling encode() on one encoder, batch 1: one network behind a mutex vs one network per thread.
    for (int copies : {1, 2})
    {
        Ptr<zsl::VisualEncoder> enc = zsl::VisualEncoder::create(model);
        enc->setMaxConcurrency(copies);
        enc->setBatchSize(1);
        Mat warm;
        enc->encode(decoded[0], warm);
        std::atomic<int> done{0};
        std::atomic<bool> stop{false};
        std::vector<std::thread> pool2;
        const double t0 = now();
        for (int t = 0; t < 2; t++)
            pool2.emplace_back([&, t]() {
                for (int i = 0; !stop; i++)
                {
                    Mat f;
                    enc->encode(decoded[(t + i) % decoded.size()], f);
                    done++;
                }
            });
        std::this_thread::sleep_for(std::chrono::duration<double>(2 * seconds));
        stop = true;
        for (std::thread& th : pool2)
            th.join();
        std::printf("2 threads x encode(batch 1), %d network cop%s: %.2f images/s\n", copies, copies == 1 ? "y (mutex)" : "ies",
                    done / (now() - t0));
    }
    return 0;
}
