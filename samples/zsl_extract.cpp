// This file is part of the opencv_zsl module (cv::zsl).
// Extracts visual features of images with cv::zsl::VisualEncoder into a cv::FileStorage file.
//
//   zsl_extract --model=resnet18.onnx features.yml.gz img1.jpg img2.png photos/ @list.txt
//
// Output: node "features" (N x D CV_32F, one row per image, in the order given) and "images" (the paths).
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/zsl.hpp>
#include "sample_cli.hpp"

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
    "{preset p       | torchvision | preprocessing preset: torchvision or caffe }"
    "{layer l        |             | feature layer name (default: the last global pooling layer) }"
    "{batch b        | 16          | images per forward pass }"
    "{normalize      | false       | L2-normalise each feature row }"
    "{backend        | default     | default, opencv, cuda, openvino, vkcom, webnn, timvx }"
    "{target         | cpu         | cpu, opencl, opencl_fp16, cuda, cuda_fp16, vulkan, myriad, fpga, npu }"
    "{threads        | -1          | cv::setNumThreads (-1: OpenCV's default) }"
    "{@output        | <none>      | output file (.yml, .yml.gz, .xml, .json) }";

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
    for (size_t i = 1; i < positional.size(); i++)
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

// "dir/out.yml.gz" -> "dir/out.tmp.yml.gz": FileStorage picks the format from the extensions, so keep them.
static String temporaryName(const String& path)
{
    const size_t slash = path.find_last_of("/\\");
    const size_t dot = path.find('.', slash == String::npos ? 0 : slash + 1);
    return dot == String::npos ? path + ".tmp" : path.substr(0, dot) + ".tmp" + path.substr(dot);
}

int main(int argc, char** argv)
{
    CommandLineParser parser(argc, argv, keys);
    parser.about("Writes visual features of images (cv::zsl::VisualEncoder) to a cv::FileStorage file.\n"
                 "Usage: zsl_extract --model=<file> [options] <output> <image|folder|@list.txt>...\n");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const String model = parser.get<String>("model"), config = parser.get<String>("config");
    const String preset = parser.get<String>("preset"), layer = parser.get<String>("layer");
    const String output = parser.get<String>("@output");
    const int batch = parser.get<int>("batch"), threads = parser.get<int>("threads");
    const bool normalize = parser.get<bool>("normalize");
    const String backendName = parser.get<String>("backend"), targetName = parser.get<String>("target");
    if (!parser.check())
    {
        parser.printErrors();
        return 2;
    }
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

        std::vector<String> paths = collectPaths(argc, argv);
        if (paths.empty())
        {
            std::cerr << "zsl_extract: no images given (see --help)" << std::endl;
            return 2;
        }
        Ptr<zsl::VisualEncoder> encoder = zsl::VisualEncoder::create(model, config, zsl::EncoderPreprocessing::preset(preset),
                                                                     layer, backend, target);
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
                images.push_back(img);
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
        const String tmp = temporaryName(output);
        {
            FileStorage fs(tmp, FileStorage::WRITE);
            if (!fs.isOpened())
                CV_Error(Error::StsError, format("cannot write '%s'", tmp.c_str()));
            fs << "model" << model << "config" << config << "layer" << encoder->getFeatureLayer();
            fs << "preset" << preset << "normalize" << (int)normalize;
            fs << "features" << features;
            fs << "images" << paths;
        }
        if (std::rename(tmp.c_str(), output.c_str()) != 0)
            CV_Error(Error::StsError, format("cannot rename '%s' to '%s'", tmp.c_str(), output.c_str()));
        std::cerr << "zsl_extract: wrote " << features.rows << " x " << features.cols << " features to " << output << std::endl;
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "zsl_extract: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
