// This file is part of the opencv_zsl module (cv::zsl).
// VisualEncoder: presets, preprocessing known answers, PyTorch reference features, batching, threads, bad input.
#include "test_precomp.hpp"
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>

namespace opencv_test {
namespace {

using namespace cv::zsl;
namespace fs = std::filesystem;

// Folder of the models made by tools/export_resnet18.py: $ZSL_MODELS_DIR, $ZSL_BUILD_DIR/models, or models/ beside
// the test binary (the build folder).
std::string modelsDir()
{
    if (const char* env = std::getenv("ZSL_MODELS_DIR"))
        return env;
    if (const char* env = std::getenv("ZSL_BUILD_DIR"))
        return (fs::path(env) / "models").string();
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("models") : (exe.parent_path() / "models").string();
}

#define ZSL_REQUIRE_RESNET18(dir)                                                                                  \
    const std::string dir = modelsDir();                                                                          \
    if (!fs::exists(fs::path(dir) / "resnet18.onnx") || !fs::exists(fs::path(dir) / "reference.yml.gz"))          \
        GTEST_SKIP() << "ResNet18 reference not generated in '" << dir << "': run `ninja -C build zsl_models` or "  \
                        "`/usr/bin/python3 tools/export_resnet18.py --out build/models`";

// Largest |a - b| over the largest |b| (per matrix).
double relDiff(const Mat& a, const Mat& b)
{
    return cv::norm(a, b, NORM_INF) / std::max(cv::norm(b, NORM_INF), 1e-30);
}

struct Reference
{
    std::vector<Mat> images, tensors; // raw BGR images; 3 x 224 x 224 torchvision tensors as 1 x 3 x 224 x 224 blobs
    Mat features, featuresPil;
};

Reference loadReference(const std::string& dir)
{
    Reference r;
    FileStorage fs(dir + "/reference.yml.gz", FileStorage::READ);
    CV_Assert(fs.isOpened());
    const int n = (int)fs["count"];
    fs["features"] >> r.features;
    fs["features_pil"] >> r.featuresPil;
    for (int i = 0; i < n; i++)
    {
        std::string name;
        fs[cv::format("image%d", i)] >> name;
        Mat img = imread(dir + "/" + name, IMREAD_UNCHANGED);
        CV_Assert(!img.empty());
        r.images.push_back(img);
        Mat t;
        fs[cv::format("tensor%d", i)] >> t;
        const int sz[] = {1, 3, 224, 224};
        r.tensors.push_back(t.reshape(1, 4, sz).clone());
    }
    return r;
}

Mat concatBlobs(const std::vector<Mat>& blobs)
{
    std::vector<Mat> flat;
    for (const Mat& b : blobs)
        flat.push_back(b.reshape(1, 1));
    Mat all;
    vconcat(flat, all);
    const int sz[] = {(int)blobs.size(), blobs[0].size[1], blobs[0].size[2], blobs[0].size[3]};
    return all.reshape(1, 4, sz);
}

EncoderPreprocessing tinyPreprocessing()
{
    EncoderPreprocessing p = EncoderPreprocessing::torchvision(Size(32, 32), 0);
    return p;
}

Mat randomImage(int rows, int cols, int type, uint64 seed)
{
    Mat m(rows, cols, type);
    RNG rng(seed);
    rng.fill(m, RNG::UNIFORM, 0, 256);
    return m;
}

// ---------------------------------------------------------------------------------------------------------------
// Presets and preprocessing known answers (no model file needed beyond the tiny Darknet net).

TEST(ZSL_VisualEncoder, presets)
{
    EncoderPreprocessing t = EncoderPreprocessing::preset("torchvision");
    EXPECT_EQ(t.inputSize, Size(224, 224));
    EXPECT_EQ(t.resizeShorter, 256);
    EXPECT_TRUE(t.swapRB);
    EXPECT_DOUBLE_EQ(t.scale, 1.0 / 255.0);
    EXPECT_EQ(t.mean, Scalar(0.485, 0.456, 0.406));
    EXPECT_EQ(t.std, Scalar(0.229, 0.224, 0.225));

    EncoderPreprocessing c = EncoderPreprocessing::preset("caffe");
    EXPECT_EQ(c.inputSize, Size(224, 224));
    EXPECT_EQ(c.resizeShorter, 0);
    EXPECT_FALSE(c.swapRB);
    EXPECT_DOUBLE_EQ(c.scale, 1.0);
    EXPECT_EQ(c.mean, Scalar(104, 117, 123));
    EXPECT_EQ(c.std, Scalar(1, 1, 1));

    EXPECT_THROW(EncoderPreprocessing::preset("imagenet"), cv::Exception);
}

class ZSL_VisualEncoderTiny : public ::testing::Test
{
protected:
    void SetUp() override
    {
        dir = zsltest::tempDir();
        zsltest::writeTinyDarknet(dir, true);
    }
    Ptr<VisualEncoder> make(const EncoderPreprocessing& p)
    {
        return VisualEncoder::create(dir + "/tiny.weights", dir + "/tiny.cfg", p);
    }
    std::string dir;
};

TEST_F(ZSL_VisualEncoderTiny, findsGlobalPoolingAndFallsBackToCpu)
{
    Ptr<VisualEncoder> enc = VisualEncoder::create(dir + "/tiny.weights", dir + "/tiny.cfg", tinyPreprocessing(), "",
                                                   dnn::DNN_BACKEND_CUDA, dnn::DNN_TARGET_CUDA);
    EXPECT_EQ(enc->getFeatureDim(), 8);
    EXPECT_FALSE(enc->getFeatureLayer().empty());
    bool cuda = false;
    for (const auto& bt : dnn::getAvailableBackends())
        cuda = cuda || (bt.first == dnn::DNN_BACKEND_CUDA && bt.second == dnn::DNN_TARGET_CUDA);
    if (cuda)
    {
        EXPECT_EQ(enc->getBackend(), dnn::DNN_BACKEND_CUDA);
        EXPECT_EQ(enc->getTarget(), dnn::DNN_TARGET_CUDA);
    }
    else
    {
        EXPECT_EQ(enc->getBackend(), dnn::DNN_BACKEND_OPENCV);
        EXPECT_EQ(enc->getTarget(), dnn::DNN_TARGET_CPU);
    }
    Ptr<VisualEncoder> def = make(tinyPreprocessing());
    EXPECT_EQ(def->getBackend(), dnn::DNN_BACKEND_OPENCV);
    EXPECT_EQ(def->getTarget(), dnn::DNN_TARGET_CPU);
    EXPECT_EQ(def->getModelPath(), dir + "/tiny.weights");
    EXPECT_EQ(def->getConfigPath(), dir + "/tiny.cfg");
}

TEST_F(ZSL_VisualEncoderTiny, featureIsTheMeanOfTheConvolutionMap)
{
    // Known answer: the pooled feature equals the spatial mean of the convolution layer's output.
    Ptr<VisualEncoder> pooled = make(tinyPreprocessing());
    dnn::Net net = dnn::readNet(dir + "/tiny.weights", dir + "/tiny.cfg");
    std::vector<String> names = net.getLayerNames();
    String conv;
    for (const String& n : names)
        if (net.getLayer(net.getLayerId(n))->type == "Convolution")
            conv = n;
    ASSERT_FALSE(conv.empty());
    // The conv layer's activation is fused or follows; take the last layer before the pooling.
    const int poolId = net.getLayerId(pooled->getFeatureLayer());
    String beforePool = names[0];
    for (const String& n : names)
        if (net.getLayerId(n) < poolId)
            beforePool = n;
    Ptr<VisualEncoder> mapEnc = VisualEncoder::create(dir + "/tiny.weights", dir + "/tiny.cfg", tinyPreprocessing(), beforePool);
    EXPECT_EQ(mapEnc->getFeatureDim(), 8 * 32 * 32);
    Mat img = randomImage(32, 32, CV_8UC3, 3);
    Mat f, m;
    pooled->encode(img, f);
    mapEnc->encode(img, m);
    Mat means = m.reshape(1, 8 * 1).clone(); // 8 rows of 32*32
    Mat expect;
    reduce(means, expect, 1, REDUCE_AVG);
    EXPECT_LE(cv::norm(f.reshape(1, 8), expect, NORM_INF), 1e-5 * (1 + cv::norm(expect, NORM_INF)));
}

TEST_F(ZSL_VisualEncoderTiny, preprocessingKnownAnswers)
{
    // Constant image: every value is (v * scale - mean) / std in network (RGB) order.
    EncoderPreprocessing p = EncoderPreprocessing::torchvision(Size(32, 32), 40);
    Ptr<VisualEncoder> enc = make(p);
    Mat img(50, 70, CV_8UC3, Scalar(10, 20, 30)); // B, G, R
    Mat blob;
    enc->preprocess(img, blob);
    ASSERT_EQ(blob.dims, 4);
    EXPECT_EQ(blob.size[0], 1);
    EXPECT_EQ(blob.size[1], 3);
    EXPECT_EQ(blob.size[2], 32);
    EXPECT_EQ(blob.size[3], 32);
    const double rgb[3] = {30, 20, 10};
    for (int c = 0; c < 3; c++)
    {
        Mat plane(32, 32, CV_32F, blob.ptr<float>(0, c));
        const double expect = (rgb[c] / 255.0 - p.mean[c]) / p.std[c];
        EXPECT_LE(cv::norm(plane - expect, NORM_INF), 1e-5) << "channel " << c;
    }

    // Caffe: BGR order, mean subtraction only.
    EncoderPreprocessing cp = EncoderPreprocessing::caffe(Size(32, 32));
    Ptr<VisualEncoder> caffeEnc = make(cp);
    caffeEnc->preprocess(img, blob);
    const double bgr[3] = {10 - 104.0, 20 - 117.0, 30 - 123.0};
    for (int c = 0; c < 3; c++)
    {
        Mat plane(32, 32, CV_32F, blob.ptr<float>(0, c));
        EXPECT_LE(cv::norm(plane - bgr[c], NORM_INF), 1e-5) << "caffe channel " << c;
    }

    // Geometry: no resize needed (shorter side already 41), crop margins 9 / 2 = 4.5 -> 4 on 41 rows and
    // 15 / 2 = 7.5 -> 8 on 47 columns (Python's round, half to even); B = column, G = row tell the offsets.
    EncoderPreprocessing g = EncoderPreprocessing::torchvision(Size(32, 32), 41);
    g.swapRB = false;
    g.scale = 1;
    g.mean = Scalar::all(0);
    g.std = Scalar::all(1);
    Ptr<VisualEncoder> geo = make(g);
    Mat ramp(41, 47, CV_8UC3);
    for (int y = 0; y < ramp.rows; y++)
        for (int x = 0; x < ramp.cols; x++)
            ramp.at<Vec3b>(y, x) = Vec3b((uchar)x, (uchar)y, 0);
    geo->preprocess(ramp, blob);
    EXPECT_EQ(blob.at<float>(std::vector<int>{0, 0, 0, 0}.data()), 8.f);  // left = round(7.5) = 8
    EXPECT_EQ(blob.at<float>(std::vector<int>{0, 1, 0, 0}.data()), 4.f);  // top = round(4.5) = 4
    EXPECT_EQ(blob.at<float>(std::vector<int>{0, 0, 0, 31}.data()), 39.f);
    // Shorter side 80 -> 2x upscale of B = 2 * column: bilinear with half-pixel centres gives
    // 2 * ((x + 0.5) / 2 - 0.5) = x - 0.5 exactly, which 8-bit input rounds half to even (as torch.round).
    Mat small(40, 40, CV_8UC3);
    for (int y = 0; y < small.rows; y++)
        for (int x = 0; x < small.cols; x++)
            small.at<Vec3b>(y, x) = Vec3b((uchar)(2 * x), 0, 0);
    EncoderPreprocessing up = g;
    up.resizeShorter = 80;
    Ptr<VisualEncoder> upEnc = make(up);
    upEnc->preprocess(small, blob);
    const int left = 24; // round((80 - 32) / 2)
    for (int x = 0; x < 32; x++)
    {
        const double src = (left + x + 0.5) / 2.0 - 0.5; // source coordinate
        const double expect = std::nearbyint(2 * src);
        EXPECT_EQ(blob.at<float>(std::vector<int>{0, 0, 5, x}.data()), (float)expect) << "x " << x;
    }
}

TEST_F(ZSL_VisualEncoderTiny, colourFormatsAndDepths)
{
    Ptr<VisualEncoder> enc = make(EncoderPreprocessing::torchvision(Size(32, 32), 36));
    Mat bgr = randomImage(45, 38, CV_8UC3, 5), bgra, grey, grey3, f32, f64;
    cvtColor(bgr, bgra, COLOR_BGR2BGRA);
    cvtColor(bgr, grey, COLOR_BGR2GRAY);
    cvtColor(grey, grey3, COLOR_GRAY2BGR);
    bgr.convertTo(f32, CV_32F);
    bgr.convertTo(f64, CV_64F);
    Mat a, b;
    enc->encode(bgr, a);
    enc->encode(bgra, b);
    EXPECT_EQ(cv::norm(a, b, NORM_INF), 0.0) << "BGRA drops alpha";
    enc->encode(grey, a);
    enc->encode(grey3, b);
    EXPECT_EQ(cv::norm(a, b, NORM_INF), 0.0) << "grey is replicated";
    // Float images are not re-quantised after the resize (8-bit ones are, as torchvision does): close, not equal.
    enc->encode(bgr, a);
    enc->encode(f32, b);
    EXPECT_LE(relDiff(b, a), 0.02);
    Mat c;
    enc->encode(f64, c);
    EXPECT_LE(cv::norm(b, c, NORM_INF), 1e-5 * cv::norm(b, NORM_INF));
}

TEST_F(ZSL_VisualEncoderTiny, concurrentEncodeManyCalls)
{
    // Fast network, many calls: races between threads sharing (or not) a network show up as wrong rows.
    std::vector<Mat> images;
    for (int i = 0; i < 6; i++)
        images.push_back(randomImage(32 + i, 40, CV_8UC3, 100 + i));
    for (int copies : {1, 3})
    {
        Ptr<VisualEncoder> enc = make(tinyPreprocessing());
        enc->setMaxConcurrency(copies);
        enc->setBatchSize(2);
        Mat expect;
        enc->encode(images, expect);
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; t++)
            threads.emplace_back([&, t]() {
                for (int k = 0; k < 200; k++)
                {
                    const int i = (t + k) % (int)images.size();
                    Mat f;
                    enc->encode(images[i], f);
                    if (cv::norm(f, expect.row(i), NORM_INF) != 0)
                        wrong++;
                }
            });
        for (std::thread& th : threads)
            th.join();
        EXPECT_EQ(wrong.load(), 0) << "copies " << copies;
    }
}

TEST_F(ZSL_VisualEncoderTiny, badInput)
{
    Ptr<VisualEncoder> enc = make(tinyPreprocessing());
    Mat f;
    EXPECT_THROW(enc->encode(Mat(), f), cv::Exception);
    EXPECT_THROW(enc->encode(std::vector<Mat>(), f), cv::Exception);
    EXPECT_THROW(enc->encode(std::vector<Mat>{randomImage(32, 32, CV_8UC3, 1), Mat()}, f), cv::Exception);
    EXPECT_THROW(enc->encode(Mat(32, 32, CV_16UC3, Scalar::all(1)), f), cv::Exception);
    EXPECT_THROW(enc->encode(Mat(32, 32, CV_8SC3, Scalar::all(1)), f), cv::Exception);
    EXPECT_THROW(enc->encode(Mat(32, 32, CV_8UC2, Scalar::all(1)), f), cv::Exception);
    Mat nan(32, 32, CV_32FC3, Scalar::all(1));
    nan.at<Vec3f>(3, 4)[1] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(enc->encode(nan, f), cv::Exception);
    EXPECT_THROW(enc->setBatchSize(0), cv::Exception);
    EXPECT_THROW(enc->setBatchSize(-3), cv::Exception);
    EXPECT_THROW(enc->setMaxConcurrency(0), cv::Exception);
    EXPECT_THROW(enc->encodeBlob(Mat(3, 32, CV_32F), f), cv::Exception);
    EXPECT_EQ(enc->getBatchSize() > 0, true);

    // Preprocessing parameters.
    EncoderPreprocessing p = tinyPreprocessing();
    p.std = Scalar(1, 0, 1);
    EXPECT_THROW(make(p), cv::Exception);
    p = EncoderPreprocessing::torchvision(Size(32, 32), 20); // shorter side below the crop
    EXPECT_THROW(make(p), cv::Exception);
    // Unknown layer.
    EXPECT_THROW(VisualEncoder::create(dir + "/tiny.weights", dir + "/tiny.cfg", tinyPreprocessing(), "no_such_layer"),
                 cv::Exception);
}

TEST(ZSL_VisualEncoder, badModelFiles)
{
    const std::string dir = zsltest::tempDir();
    auto expectError = [](const std::string& model, const std::string& config, const std::string& mustMention) {
        try
        {
            VisualEncoder::create(model, config, tinyPreprocessing());
            ADD_FAILURE() << "no exception for " << model;
        }
        catch (const cv::Exception& e)
        {
            EXPECT_NE(std::string(e.what()).find(mustMention), std::string::npos) << e.what();
        }
    };
    // Missing, empty.
    expectError(dir + "/missing.onnx", "", "missing.onnx");
    expectError("", "", "empty");
    zsltest::writeTextFile(dir + "/empty.onnx", "");
    expectError(dir + "/empty.onnx", "", "empty.onnx");
    // Corrupt: bytes that are no protobuf.
    std::string junk(4096, '\0');
    RNG rng(5);
    for (char& ch : junk)
        ch = (char)rng.uniform(0, 256);
    zsltest::writeTextFile(dir + "/corrupt.onnx", junk);
    expectError(dir + "/corrupt.onnx", "", "corrupt.onnx");
    // Darknet: truncated weights, a config without pooling, a missing config.
    zsltest::writeTinyDarknet(dir, true);
    std::string weights;
    {
        std::ifstream in(dir + "/tiny.weights", std::ios::binary);
        weights.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    zsltest::writeTextFile(dir + "/truncated.weights", weights.substr(0, weights.size() / 2));
    expectError(dir + "/truncated.weights", dir + "/tiny.cfg", "truncated.weights");
    expectError(dir + "/tiny.weights", dir + "/nothere.cfg", "nothere.cfg");
    const std::string noPool = dir + "/nopool";
    fs::create_directories(noPool);
    zsltest::writeTinyDarknet(noPool, false);
    expectError(noPool + "/tiny.weights", noPool + "/tiny.cfg", "no global pooling");
    // ... which works when the layer is named.
    dnn::Net net = dnn::readNet(noPool + "/tiny.weights", noPool + "/tiny.cfg");
    const String last = net.getLayerNames().back();
    Ptr<VisualEncoder> enc = VisualEncoder::create(noPool + "/tiny.weights", noPool + "/tiny.cfg", tinyPreprocessing(), last);
    EXPECT_EQ(enc->getFeatureDim(), 8 * 32 * 32);
}

TEST(ZSL_VisualEncoder, caffeWeightFreeNet)
{
    // Caffe importer + caffe preset, known answer: a weight-free net (max pool 2x2, then global average pooling)
    // whose feature is the mean of the 2x2 maxima of the preprocessed (BGR, mean-subtracted) image.
    const std::string dir = zsltest::tempDir();
    zsltest::writeTextFile(dir + "/pool.prototxt",
        "name: \"pool\"\ninput: \"data\"\ninput_shape { dim: 1 dim: 3 dim: 224 dim: 224 }\n"
        "layer { name: \"pool1\" type: \"Pooling\" bottom: \"data\" top: \"pool1\"\n"
        "  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n"
        "layer { name: \"pool2\" type: \"Pooling\" bottom: \"pool1\" top: \"pool2\"\n"
        "  pooling_param { pool: AVE global_pooling: true } }\n");
    Ptr<VisualEncoder> enc = VisualEncoder::create(dir + "/pool.prototxt", "", EncoderPreprocessing::caffe());
    EXPECT_EQ(enc->getFeatureLayer(), "pool2");
    EXPECT_EQ(enc->getFeatureDim(), 3);
    Mat constant(300, 200, CV_8UC3, Scalar(10, 20, 30)), f;
    enc->encode(constant, f);
    EXPECT_LE(cv::norm(f, Mat(Matx13f(10 - 104.f, 20 - 117.f, 30 - 123.f)), NORM_INF), 1e-4);
    Mat img = randomImage(224, 224, CV_8UC3, 9), maxima;
    dilate(img, maxima, Mat::ones(2, 2, CV_8U), Point(0, 0));
    Mat sub;
    resize(maxima, sub, Size(112, 112), 0, 0, INTER_NEAREST); // every second pixel: the 2x2 block maxima
    const Scalar m = cv::mean(sub);
    enc->encode(img, f);
    for (int c = 0; c < 3; c++)
        EXPECT_NEAR(f.at<float>(c), m[c] - EncoderPreprocessing::caffe().mean[c], 1e-3) << "channel " << c;
}

// ---------------------------------------------------------------------------------------------------------------
// Against PyTorch (models generated by tools/export_resnet18.py).

TEST(ZSL_VisualEncoder, resnet18_truncatedOnnx)
{
    ZSL_REQUIRE_RESNET18(dir);
    std::string bytes;
    {
        std::ifstream in(dir + "/resnet18.onnx", std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const std::string tmp = zsltest::tempDir();
    for (double frac : {0.001, 0.5, 0.999})
    {
        const std::string path = tmp + cv::format("/cut%d.onnx", (int)(frac * 1000));
        zsltest::writeTextFile(path, bytes.substr(0, (size_t)(bytes.size() * frac)));
        try
        {
            VisualEncoder::create(path);
            ADD_FAILURE() << "no exception for a model cut at " << frac;
        }
        catch (const cv::Exception& e)
        {
            EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        }
    }
}

TEST(ZSL_VisualEncoder, resnet18_matchesPyTorch)
{
    ZSL_REQUIRE_RESNET18(dir);
    Reference ref = loadReference(dir);
    Ptr<VisualEncoder> enc = VisualEncoder::create(dir + "/resnet18.onnx", "", EncoderPreprocessing::torchvision());
    EXPECT_EQ(enc->getFeatureDim(), 512);
    EXPECT_NE(enc->getFeatureLayer().find("GlobalAveragePool"), std::string::npos) << enc->getFeatureLayer();

    // (1) the network alone, on PyTorch's own input tensors.
    Mat f;
    enc->encodeBlob(concatBlobs(ref.tensors), f);
    ASSERT_EQ(f.size(), ref.features.size());
    for (int i = 0; i < f.rows; i++)
        EXPECT_LE(relDiff(f.row(i), ref.features.row(i)), 1e-4) << "image " << i;

    // (2) the preprocessing alone: same tensors as torchvision's from the same pixels.
    for (size_t i = 0; i < ref.images.size(); i++)
    {
        Mat blob;
        enc->preprocess(ref.images[i], blob);
        const double maxDiff = cv::norm(blob, ref.tensors[i], NORM_INF);
        // Float rounding may flip a x.5 value after the resize: at most one grey level (1/255/0.225) anywhere.
        EXPECT_LE(maxDiff, 1.0 / 255 / 0.224 + 1e-5) << "image " << i;
        Mat diff = cv::abs(blob.reshape(1, 1) - ref.tensors[i].reshape(1, 1)) > 1e-5;
        EXPECT_LE(countNonZero(diff), (int)(diff.total() / 1000)) << "image " << i;
    }

    // (3) the whole path from decoded images.
    enc->encode(ref.images, f);
    for (int i = 0; i < f.rows; i++)
        EXPECT_LE(relDiff(f.row(i), ref.features.row(i)), 1e-4) << "image " << i;
    // PIL's antialiased resize is what OpenCV cannot reproduce: documented difference, about 1%.
    EXPECT_LE(relDiff(f, ref.featuresPil), 0.05);
}

TEST(ZSL_VisualEncoder, resnet18_batchEqualsSingleAndNormalize)
{
    ZSL_REQUIRE_RESNET18(dir);
    Reference ref = loadReference(dir);
    Ptr<VisualEncoder> enc = VisualEncoder::create(dir + "/resnet18.onnx");
    std::vector<Mat> images = ref.images;
    images.push_back(ref.images[0]);
    images.push_back(ref.images[3]);
    Mat all;
    enc->setBatchSize(32);
    enc->encode(images, all);
    for (int bs : {1, 2, 3})
    {
        enc->setBatchSize(bs);
        Mat f;
        enc->encode(images, f);
        EXPECT_EQ(cv::norm(f, all, NORM_INF), 0.0) << "batch size " << bs;
    }
    EXPECT_EQ(cv::norm(all.row(0), all.row(5), NORM_INF), 0.0);
    for (size_t i = 0; i < images.size(); i++)
    {
        Mat one;
        enc->encode(images[i], one);
        EXPECT_EQ(cv::norm(one, all.row((int)i), NORM_INF), 0.0) << "image " << i;
    }
    enc->setNormalize(true);
    Mat n;
    enc->encode(images, n);
    for (int i = 0; i < n.rows; i++)
    {
        EXPECT_NEAR(cv::norm(n.row(i)), 1.0, 1e-5);
        EXPECT_LE(cv::norm(n.row(i) * cv::norm(all.row(i)), all.row(i), NORM_INF), 1e-5 * cv::norm(all.row(i), NORM_INF));
    }
}

TEST(ZSL_VisualEncoder, resnet18_concurrentEncode)
{
    ZSL_REQUIRE_RESNET18(dir);
    Reference ref = loadReference(dir);
    for (int copies : {1, 2})
    {
        Ptr<VisualEncoder> enc = VisualEncoder::create(dir + "/resnet18.onnx");
        enc->setMaxConcurrency(copies);
        enc->setBatchSize(2);
        Mat expect;
        enc->encode(ref.images, expect);
        std::vector<Mat> got(4);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; t++)
            threads.emplace_back([&, t]() {
                std::vector<Mat> mine(ref.images.rbegin(), ref.images.rend()); // another order, other batches
                Mat f;
                enc->encode(mine, f);
                flip(f, got[t], 0);
            });
        for (std::thread& th : threads)
            th.join();
        for (int t = 0; t < 4; t++)
            EXPECT_EQ(cv::norm(got[t], expect, NORM_INF), 0.0) << "thread " << t << ", copies " << copies;
    }
}

TEST(ZSL_VisualEncoder, resnet18_classifierOnImagesEqualsFeatures)
{
    ZSL_REQUIRE_RESNET18(dir);
    Reference ref = loadReference(dir);
    Ptr<VisualEncoder> enc = VisualEncoder::create(dir + "/resnet18.onnx");
    // 3 seen classes, each image and its mirror; 2 unseen classes.
    std::vector<Mat> images;
    std::vector<int> labels;
    for (size_t i = 0; i < ref.images.size(); i++)
    {
        Mat mirrored;
        flip(ref.images[i], mirrored, 1);
        images.push_back(ref.images[i]);
        images.push_back(mirrored);
        labels.push_back((int)i % 3);
        labels.push_back((int)i % 3);
    }
    Mat protos(5, 6, CV_32F);
    randu(protos, 0, 1);
    ClassPrototypes seen({"a", "b", "c"}, protos.rowRange(0, 3)), unseen({"d", "e"}, protos.rowRange(3, 5));
    ZeroShotClassifier::Params params;
    Ptr<ZeroShotClassifier> fromImages = ZeroShotClassifier::create(params, enc);
    Ptr<ZeroShotClassifier> fromFeatures = ZeroShotClassifier::create(params);
    Mat features;
    enc->encode(images, features);
    fromImages->trainImages(images, Mat(labels), seen);
    fromFeatures->train(features, Mat(labels), seen);
    fromImages->setUnseenClasses(unseen);
    fromFeatures->setUnseenClasses(unseen);
    Mat l1, s1, l2, s2, f2;
    fromImages->predictImages(images, l1, s1, 2);
    fromFeatures->predict(features, l2, s2, 2);
    EXPECT_EQ(cv::norm(l1, l2, NORM_INF), 0.0);
    EXPECT_EQ(cv::norm(s1, s2, NORM_INF), 0.0);
    fromImages->extractFeatures(images, f2);
    EXPECT_EQ(cv::norm(f2, features, NORM_INF), 0.0);
}

TEST(ZSL_VisualEncoder, darknetTinyFromDebianCfg)
{
    const std::string dir = modelsDir();
    if (!fs::exists(fs::path(dir) / "tiny.weights"))
        GTEST_SKIP() << "Darknet tiny model not generated in '" << dir << "' (tools/export_resnet18.py, Debian package darknet)";
    Ptr<VisualEncoder> enc = VisualEncoder::create(dir + "/tiny.weights", dir + "/tiny.cfg");
    EXPECT_EQ(enc->getFeatureDim(), 1000);
    Reference ref = loadReference(dir);
    Mat all, one;
    enc->encode(ref.images, all);
    enc->setBatchSize(1);
    enc->encode(ref.images, one);
    EXPECT_EQ(cv::norm(all, one, NORM_INF), 0.0);
    EXPECT_GT(cv::norm(all.row(0), all.row(1)), 0.0);
}

}} // namespace opencv_test
