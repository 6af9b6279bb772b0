// This file is part of the opencv_zsl module (cv::zsl).
// Extracts visual features of images with cv::zsl::VisualEncoder into a cv::FileStorage file.
//
//   zsl_extract --model=resnet18.onnx --output=features.yml.gz img1.jpg img2.png photos/ @list.txt
//   zsl_extract --model=data/fashion_mnist/backbone_split1.onnx --preset=fashion-mnist --output=f.yml.gz shoe.png
//
// Output: node "features" (N x D CV_32F, one row per image, in the order given) and "images" (the paths).
// The output is written atomically, never over one of the inputs.
#include <opencv2/dnn.hpp>
#include "fashion_mnist.hpp"
#include "sample_cli.hpp"
#include <opencv2/zsl/atomic_file.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

using namespace cv;

static const char* keys =
    "{help h usage ? |             | print this message }"
    "{model m        | <none>      | model file: .onnx, .caffemodel, .pb, .weights }"
    "{config c       |             | config file: .prototxt, .pbtxt, .cfg (Caffe, TensorFlow text, Darknet) }"
    "{preset p       | torchvision | preprocessing preset: torchvision, caffe or fashion-mnist (the samples' Fashion-MNIST backbones: 32x32 grey, pad 28->32) }"
    "{size           |             | network input WxH (overrides the preset), e.g. 32x32 }"
    "{mean           |             | per-channel mean after scaling, e.g. 0.286 or 0.485,0.456,0.406 (overrides the preset) }"
    "{std            |             | per-channel std, same form as --mean (overrides the preset) }"
    "{pad            |             | pad images smaller than NxN to NxN with black borders; 0: none (default 0; fashion-mnist: 32) }"
    "{layer l        |             | feature layer name (default: the last global pooling layer) }"
    "{batch b        | 16          | images per forward pass }"
    "{normalize      | false       | L2-normalise each feature row }"
    "{backend        | default     | default, opencv, cuda, openvino, vkcom, webnn, timvx }"
    "{target         | cpu         | cpu, opencl, opencl_fp16, cuda, cuda_fp16, vulkan, myriad, fpga, npu }"
    "{threads        | -1          | cv::setNumThreads (-1: OpenCV's default) }"
    "{output o       |             | output file (.yml, .yml.gz, .xml, .xml.gz, .json, .json.gz); never one of the inputs }";

static int parseName(const std::map<std::string, int>& names, const std::string& value, const char* what)
{
    auto it = names.find(value);
    if (it == names.end())
    {
        std::string all;
        for (const auto& kv : names)
            all += " " + kv.first;
        CV_Error(Error::StsBadArg, format("unknown %s '%s'; one of:%s", what, value.c_str(), all.c_str()));
    }
    return it->second;
}

// Arguments after the output file: image paths, folders (every file cv::glob finds in them) or @lists (one path per line).
static std::vector<String> collectPaths(int argc, char** argv)
{
    const std::vector<String> positional = zsl_samples::positionalArguments(argc, argv);
    std::vector<String> paths;
    for (size_t i = 0; i < positional.size(); i++)
    {
        const String& arg = positional[i];
        if (arg[0] == '@')
        {
            std::ifstream list(arg.substr(1));
            if (!list)
                CV_Error(Error::StsObjectNotFound, format("cannot read the image list '%s'", arg.c_str() + 1));
            for (std::string line; std::getline(list, line);)
                if (!line.empty() && line[0] != '#')
                    paths.push_back(line);
        }
        else if (std::filesystem::is_directory(arg))
        {
            std::vector<String> files;
            glob(arg, files, false);
            paths.insert(paths.end(), files.begin(), files.end());
        }
        else
            paths.push_back(arg);
    }
    return paths;
}

static Scalar parseScalar(const String& option, const String& v)
{
    std::vector<double> x;
    std::stringstream ss(v);
    for (std::string item; std::getline(ss, item, ',');)
    {
        char* end = nullptr;
        const double d = std::strtod(item.c_str(), &end);
        if (item.empty() || *end != '\0' || !std::isfinite(d))
            CV_Error(Error::StsBadArg, format("--%s=%s: expected 1 or 3 comma-separated numbers", option.c_str(), v.c_str()));
        x.push_back(d);
    }
    if (x.size() == 1)
        return Scalar::all(x[0]);
    if (x.size() == 3)
        return Scalar(x[0], x[1], x[2]);
    CV_Error(Error::StsBadArg, format("--%s=%s: expected 1 or 3 comma-separated numbers", option.c_str(), v.c_str()));
}

static Mat padTo(const Mat& img, int n)
{
    if (n <= 0 || (img.rows >= n && img.cols >= n))
        return img;
    const int h = std::max(n, img.rows), w = std::max(n, img.cols);
    const int top = (h - img.rows) / 2, left = (w - img.cols) / 2;
    Mat out;
    copyMakeBorder(img, out, top, h - img.rows - top, left, w - img.cols - left, BORDER_CONSTANT, Scalar::all(0));
    return out;
}

int main(int argc, char** argv)
{
    zsl_samples::Cli cli(argc, argv, keys,
                         "Writes visual features of images (cv::zsl::VisualEncoder) to a cv::FileStorage file.\n"
                         "Usage: zsl_extract --model=<file> --output=<features.yml.gz> [options] <image|folder|@list.txt>...\n");
    const String model = cli.str("model"), config = cli.str("config");
    const String preset = cli.str("preset"), layer = cli.str("layer");
    const String output = cli.str("output");
    const int batch = (int)cli.integer("batch", 1, 65536), threads = (int)cli.integer("threads", -1, 1024);
    // An empty default: CommandLineParser::has() is true for any option with a non-empty default, so a
    // default of 0 would hide that --pad was not given and --preset=fashion-mnist would resize 28->32.
    const int padSize = cli.has("pad") ? (int)cli.integer("pad", 0, 16384) : 0;
    const bool normalize = cli.flag("normalize");
    const String backendName = cli.str("backend"), targetName = cli.str("target");
    try
    {
        const std::map<std::string, int> backends = {
            {"default", dnn::DNN_BACKEND_DEFAULT}, {"opencv", dnn::DNN_BACKEND_OPENCV}, {"cuda", dnn::DNN_BACKEND_CUDA},
            {"openvino", dnn::DNN_BACKEND_INFERENCE_ENGINE}, {"vkcom", dnn::DNN_BACKEND_VKCOM},
            {"webnn", dnn::DNN_BACKEND_WEBNN}, {"timvx", dnn::DNN_BACKEND_TIMVX}};
        const std::map<std::string, int> targets = {
            {"cpu", dnn::DNN_TARGET_CPU}, {"opencl", dnn::DNN_TARGET_OPENCL}, {"opencl_fp16", dnn::DNN_TARGET_OPENCL_FP16},
            {"cuda", dnn::DNN_TARGET_CUDA}, {"cuda_fp16", dnn::DNN_TARGET_CUDA_FP16}, {"vulkan", dnn::DNN_TARGET_VULKAN},
            {"myriad", dnn::DNN_TARGET_MYRIAD}, {"fpga", dnn::DNN_TARGET_FPGA}, {"npu", dnn::DNN_TARGET_NPU}};
        const int backend = parseName(backends, backendName, "backend");
        const int target = parseName(targets, targetName, "target");
        if (threads >= 0)
            setNumThreads(threads);

        std::vector<String> inputs = cli.positional;
        inputs.push_back(model);
        if (!config.empty())
            inputs.push_back(config);
        std::vector<String> paths = collectPaths(argc, argv);
        for (const String& arg : cli.positional)
            if (arg[0] == '@')
                inputs.push_back(arg.substr(1));
        inputs.insert(inputs.end(), paths.begin(), paths.end());
        zsl_samples::checkOutput("--output", output, {".yml", ".yml.gz", ".yaml", ".yaml.gz", ".xml", ".xml.gz", ".json", ".json.gz"},
                                 inputs);
        if (paths.empty())
            CV_Error(Error::StsBadArg, "no images given (see --help)");
        zsl::EncoderPreprocessing pre;
        int pad = padSize;
        if (preset == "fashion-mnist" || preset == "fashion")
        {
            pre = zslsample::fashionPreprocessing();
            if (!cli.has("pad"))
                pad = 32;
        }
        else
            pre = zsl::EncoderPreprocessing::preset(preset);
        if (cli.has("size"))
        {
            int w = 0, h = 0;
            char x = 0, extra = 0;
            if (std::sscanf(cli.str("size").c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || x != 'x' || w <= 0 || h <= 0)
                CV_Error(Error::StsBadArg, format("--size=%s: expected WxH, e.g. 224x224", cli.str("size").c_str()));
            pre.inputSize = Size(w, h);
            pre.resizeShorter = 0;
        }
        if (cli.has("mean"))
            pre.mean = parseScalar("mean", cli.str("mean"));
        if (cli.has("std"))
        {
            pre.std = parseScalar("std", cli.str("std"));
            for (int c = 0; c < 3; c++)
                if (pre.std[c] == 0)
                    CV_Error(Error::StsBadArg, "--std: zero is not allowed");
        }
        Ptr<zsl::VisualEncoder> encoder = zsl::VisualEncoder::create(model, config, pre, layer, backend, target);
        encoder->setBatchSize(batch);
        encoder->setNormalize(normalize);
        std::cerr << format("zsl_extract: %zu images, layer '%s' (%d-d), backend %d target %d, batch %d",
                            paths.size(), encoder->getFeatureLayer().c_str(), encoder->getFeatureDim(),
                            encoder->getBackend(), encoder->getTarget(), batch) << std::endl;

        Mat features((int)paths.size(), encoder->getFeatureDim(), CV_32F);
        const int64 t0 = getTickCount();
        for (size_t start = 0; start < paths.size(); start += (size_t)batch)
        {
            const size_t end = std::min(paths.size(), start + (size_t)batch);
            std::vector<Mat> images;
            for (size_t i = start; i < end; i++)
            {
                Mat img = imread(paths[i], IMREAD_COLOR);
                if (img.empty())
                    CV_Error(Error::StsError, format("cannot read image '%s'", paths[i].c_str()));
                images.push_back(padTo(img, pad));
            }
            Mat rows = features.rowRange((int)start, (int)end);
            encoder->encode(images, rows);
            const double secs = (getTickCount() - t0) / getTickFrequency();
            std::fprintf(stderr, "\r[%6zu/%zu] %5.1f%%  %.1f images/s", end, paths.size(), 100.0 * end / paths.size(),
                         end / std::max(secs, 1e-9));
            std::fflush(stderr);
        }
        std::fprintf(stderr, "\n");

        // Written beside the target, then renamed: an interrupted run never leaves a half-written file.
        zsl::writeStorageAtomically(output, [&](FileStorage& fs) {
            fs << "model" << model << "config" << config << "layer" << encoder->getFeatureLayer();
            fs << "preset" << preset << "normalize" << (int)normalize << "pad" << pad;
            fs << "features" << features;
            fs << "images" << paths;
        });
        std::cerr << "zsl_extract: wrote " << features.rows << " x " << features.cols << " features to " << output << std::endl;
    }
    catch (const std::exception& e)
    {
        return cli.fail(e.what());
    }
    return 0;
}
