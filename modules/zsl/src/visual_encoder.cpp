// This file is part of the opencv_zsl module (cv::zsl).
// Visual encoder: a cv::dnn backbone whose pooled features feed the zero-shot classifier.
#include "precomp.hpp"
#include <opencv2/core/cuda.hpp>
#include <opencv2/core/ocl.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/dnn/all_layers.hpp>
#include <opencv2/dnn/shape_utils.hpp>
#include "io/input_file.hpp"

#include <condition_variable>
#include <fstream>
#include <mutex>

namespace cv {
namespace zsl {

EncoderPreprocessing EncoderPreprocessing::torchvision(Size inputSize, int resizeShorter)
{
    EncoderPreprocessing p;
    p.inputSize = inputSize;
    p.resizeShorter = resizeShorter;
    return p;
}

EncoderPreprocessing EncoderPreprocessing::caffe(Size inputSize)
{
    EncoderPreprocessing p;
    p.inputSize = inputSize;
    p.resizeShorter = 0;
    p.swapRB = false;
    p.scale = 1.0;
    p.mean = Scalar(104, 117, 123);
    p.std = Scalar(1, 1, 1);
    return p;
}

EncoderPreprocessing EncoderPreprocessing::preset(const String& name)
{
    if (name == "torchvision")
        return torchvision();
    if (name == "caffe")
        return caffe();
    CV_Error(Error::StsBadArg, cv::format("zsl: unknown preprocessing preset '%s' (torchvision, caffe)", name.c_str()));
}

namespace {

const char* kWhere = "zsl VisualEncoder";

void checkPreprocessing(const EncoderPreprocessing& p)
{
    using namespace bounds;
    if (p.inputSize.width < 1 || p.inputSize.height < 1 || p.inputSize.width > kMaxEncoderInputSide
        || p.inputSize.height > kMaxEncoderInputSide)
        CV_Error(Error::StsOutOfRange, cv::format("%s: preprocessing.inputSize %dx%d: each side must be in [1, %d] "
                                                  "(bounds::kMaxEncoderInputSide)",
                                                  kWhere, p.inputSize.width, p.inputSize.height, kMaxEncoderInputSide));
    if (p.resizeShorter < 0 || p.resizeShorter > kMaxEncoderResize
        || (p.resizeShorter > 0 && p.resizeShorter < std::max(p.inputSize.width, p.inputSize.height)))
        CV_Error(Error::StsOutOfRange, cv::format("%s: preprocessing.resizeShorter = %d must be 0 or in [crop size %d, %d] "
                                                  "(bounds::kMaxEncoderResize)", kWhere, p.resizeShorter,
                                                  std::max(p.inputSize.width, p.inputSize.height), kMaxEncoderResize));
    for (int c = 0; c < 3; c++)
    {
        if (!(std::abs(p.std[c]) >= 1 / kMaxEncoderMeanStd && std::abs(p.std[c]) <= kMaxEncoderMeanStd))
            CV_Error(Error::StsOutOfRange, cv::format("%s: preprocessing.std[%d] = %g: |std| must be in [%g, %g] "
                                                      "(bounds::kMaxEncoderMeanStd)", kWhere, c, p.std[c],
                                                      1 / kMaxEncoderMeanStd, kMaxEncoderMeanStd));
        if (!(std::abs(p.mean[c]) <= kMaxEncoderMeanStd))
            CV_Error(Error::StsOutOfRange, cv::format("%s: preprocessing.mean[%d] = %g: |mean| must be at most %g "
                                                      "(bounds::kMaxEncoderMeanStd)", kWhere, c, p.mean[c], kMaxEncoderMeanStd));
    }
    if (!(std::abs(p.scale) >= 1 / kMaxEncoderScale && std::abs(p.scale) <= kMaxEncoderScale))
        CV_Error(Error::StsOutOfRange, cv::format("%s: preprocessing.scale = %g: |scale| must be in [%g, %g] "
                                                  "(bounds::kMaxEncoderScale)", kWhere, p.scale, 1 / kMaxEncoderScale,
                                                  kMaxEncoderScale));
}

void checkFile(const String& path, const char* what)
{
    // Regular files only (a FIFO or /dev/zero would make cv::dnn block or read forever), size capped.
    if (detail::checkInputFile(path, cv::format("%s: %s file", kWhere, what).c_str(), INPUT_LIMIT_DATA_BYTES) == 0)
        CV_Error(Error::StsBadArg, cv::format("%s: %s file '%s' is empty", kWhere, what, path.c_str()));
}

// The images of an InputArrayOfArrays: a vector of Mat/UMat, or one Mat.
std::vector<Mat> collectImages(InputArrayOfArrays images, const char* where)
{
    std::vector<Mat> out;
    const _InputArray::KindFlag kind = images.kind();
    if (kind == _InputArray::STD_VECTOR_MAT || kind == _InputArray::STD_VECTOR_UMAT
        || kind == _InputArray::STD_ARRAY_MAT || kind == _InputArray::STD_VECTOR_CUDA_GPU_MAT)
    {
        const int n = (int)images.total();
        out.reserve(n);
        for (int i = 0; i < n; i++)
            out.push_back(images.getMat(i));
    }
    else if (kind != _InputArray::NONE)
        out.push_back(images.getMat());
    if (out.empty())
        CV_Error(Error::StsBadArg, cv::format("%s: no images given", where));
    for (size_t i = 0; i < out.size(); i++)
    {
        const Mat& m = out[i];
        if (m.empty())
            CV_Error(Error::StsBadArg, cv::format("%s: image %zu is empty", where, i));
        if (m.dims != 2)
            CV_Error(Error::StsBadArg, cv::format("%s: image %zu has %d dimensions, expected a 2-D image", where, i, m.dims));
        const int depth = m.depth(), cn = m.channels();
        if (depth != CV_8U && depth != CV_32F && depth != CV_64F)
            CV_Error(Error::StsUnsupportedFormat, cv::format("%s: image %zu has depth %s; supported: CV_8U, CV_32F, CV_64F",
                                                             where, i, depthToString(depth)));
        if (cn != 1 && cn != 3 && cn != 4)
            CV_Error(Error::StsUnsupportedFormat, cv::format("%s: image %zu has %d channels; supported: 1 (grey), 3 (BGR), 4 (BGRA)",
                                                             where, i, cn));
        if (depth != CV_8U && !checkRange(m))
            CV_Error(Error::StsBadArg, cv::format("%s: image %zu contains NaN or infinite values", where, i));
    }
    return out;
}

// cv::dnn's Darknet reader does not notice a short .weights file (it keeps whatever the stream gave), so compare
// the file size with the parameters the layers hold: header (3 int32 + "seen", 64-bit since format 0.2) + floats.
void checkDarknetWeights(const String& path, dnn::Net& net)
{
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    const int64 bytes = (int64)f.tellg();
    f.seekg(0);
    int32_t header[3] = {0, 0, 0};
    f.read((char*)header, sizeof(header));
    const int64 headerBytes = 12 + ((header[0] * 10 + header[1]) >= 2 && header[0] < 1000 && header[1] < 1000 ? 8 : 4);
    int64 params = 0;
    for (const String& name : net.getLayerNames())
        for (const Mat& b : net.getLayer(net.getLayerId(name))->blobs)
            params += (int64)b.total();
    const int64 expected = headerBytes + params * (int64)sizeof(float);
    if (!f || bytes < expected)
        CV_Error(Error::StsBadArg, cv::format("%s: Darknet weights '%s' are truncated: %lld bytes, the config needs %lld",
                                              kWhere, path.c_str(), (long long)bytes, (long long)expected));
}

bool isGlobalPooling(const Ptr<dnn::Layer>& layer, const std::vector<dnn::MatShape>& outShapes)
{
    if (layer->type != "Pooling" && layer->type != "Reduce" && layer->type != "GlobalAveragePool"
        && layer->type != "GlobalMaxPool")
        return false;
    if (const dnn::PoolingLayer* pool = dynamic_cast<const dnn::PoolingLayer*>(layer.get()))
    {
        if (pool->globalPooling)
            return true;
    }
    // A pooling whose window covers the whole map (Caffe's "pool5 7x7/1", Darknet's avgpool) is global too.
    if (outShapes.size() != 1 || outShapes[0].size() < 3)
        return false;
    const dnn::MatShape& s = outShapes[0];
    return dnn::total(s, 2) == 1;
}

} // namespace

class VisualEncoderImpl CV_FINAL : public VisualEncoder
{
public:
    VisualEncoderImpl(const String& model, const String& config, const EncoderPreprocessing& pp,
                      const String& featureLayer, int backend, int target)
        : model_(model), config_(config), pp_(pp), requestedBackend_(backend), requestedTarget_(target)
    {
        checkPreprocessing(pp_);
        if (model_.empty())
            CV_Error(Error::StsBadArg, cv::format("%s: the model path is empty", kWhere));
        chooseBackend();
        dnn::Net net = loadNet();
        layer_ = featureLayer.empty() ? findGlobalPooling(net) : featureLayer;
        if (!featureLayer.empty() && net.getLayerId(featureLayer) < 0)
            CV_Error(Error::StsObjectNotFound, cv::format("%s: model '%s' has no layer named '%s'",
                                                          kWhere, model_.c_str(), featureLayer.c_str()));
        // One forward pass on a blank image: finds the feature size and catches weights that parse but do
        // not fit the graph (wrong shapes) now rather than at the first encode().
        Mat blob = dnn::blobFromImage(Mat::zeros(pp_.inputSize, CV_32FC3));
        Mat out;
        try
        {
            net.setInput(blob);
            out = net.forward(layer_);
        }
        catch (const cv::Exception& e)
        {
            CV_Error(Error::StsError, cv::format("%s: model '%s' fails a forward pass to layer '%s' at %dx%d: %s", kWhere,
                                                 model_.c_str(), layer_.c_str(), pp_.inputSize.width, pp_.inputSize.height,
                                                 e.what()));
        }
        if (out.empty() || out.dims < 1 || out.size[0] != 1)
            CV_Error(Error::StsError, cv::format("%s: layer '%s' of '%s' gives no per-image output", kWhere,
                                                 layer_.c_str(), model_.c_str()));
        dim_ = (int)(out.total());
        nets_.push_back(makePtr<dnn::Net>(net));
        created_ = 1;
        CV_LOG_INFO(NULL, cv::format("%s: '%s', feature layer '%s' (%d-d), backend %d target %d", kWhere,
                                     model_.c_str(), layer_.c_str(), dim_, backend_, target_));
    }

    void preprocess(InputArrayOfArrays images, OutputArray blob) const CV_OVERRIDE
    {
        std::vector<Mat> imgs = collectImages(images, "zsl VisualEncoder::preprocess");
        Mat out;
        makeBlob(imgs, 0, (int)imgs.size(), out);
        out.copyTo(blob);
    }

    void encode(InputArrayOfArrays images, OutputArray features) const CV_OVERRIDE
    {
        std::vector<Mat> imgs = collectImages(images, "zsl VisualEncoder::encode");
        const int n = (int)imgs.size();
        const int batch = batchSize_;
        Mat result(n, dim_, CV_32F), blob;
        for (int start = 0; start < n; start += batch)
        {
            const int count = std::min(batch, n - start);
            makeBlob(imgs, start, count, blob);
            forward(blob, result.rowRange(start, start + count));
        }
        result.copyTo(features);
    }

    void encodeBlob(InputArray blobArr, OutputArray features) const CV_OVERRIDE
    {
        Mat blob = blobArr.getMat();
        if (blob.empty() || blob.dims != 4 || blob.type() != CV_32F)
            CV_Error(Error::StsBadArg, cv::format("%s::encodeBlob: expected a non-empty 4-D N x C x H x W CV_32F blob, got %d-D type %s",
                                                  kWhere, blob.dims, typeToString(blob.type()).c_str()));
        Mat result(blob.size[0], dim_, CV_32F);
        forward(blob, result);
        result.copyTo(features);
    }

    int getFeatureDim() const CV_OVERRIDE { return dim_; }
    String getFeatureLayer() const CV_OVERRIDE { return layer_; }
    void setBatchSize(int batchSize) CV_OVERRIDE
    {
        if (batchSize < 1)
            CV_Error(Error::StsOutOfRange, cv::format("%s::setBatchSize: batch size must be >= 1, got %d", kWhere, batchSize));
        batchSize_ = batchSize;
    }
    int getBatchSize() const CV_OVERRIDE { return batchSize_; }
    void setNormalize(bool normalize) CV_OVERRIDE { normalize_ = normalize; }
    bool getNormalize() const CV_OVERRIDE { return normalize_; }
    EncoderPreprocessing getPreprocessing() const CV_OVERRIDE { return pp_; }
    int getBackend() const CV_OVERRIDE { return backend_; }
    int getTarget() const CV_OVERRIDE { return target_; }
    void setMaxConcurrency(int copies) CV_OVERRIDE
    {
        if (copies < 1)
            CV_Error(Error::StsOutOfRange, cv::format("%s::setMaxConcurrency: need at least 1 network copy, got %d", kWhere, copies));
        std::lock_guard<std::mutex> lock(poolMutex_);
        maxNets_ = copies;
    }
    int getMaxConcurrency() const CV_OVERRIDE
    {
        std::lock_guard<std::mutex> lock(poolMutex_);
        return maxNets_;
    }
    String getModelPath() const CV_OVERRIDE { return model_; }
    String getConfigPath() const CV_OVERRIDE { return config_; }
    String getDefaultName() const CV_OVERRIDE { return "opencv_zsl_visual_encoder"; }

private:
    // Resolves the requested backend/target against what this OpenCV build offers.
    void chooseBackend()
    {
        backend_ = requestedBackend_ == dnn::DNN_BACKEND_DEFAULT ? (int)dnn::DNN_BACKEND_OPENCV : requestedBackend_;
        target_ = requestedTarget_;
        bool available = false;
        for (const auto& bt : dnn::getAvailableBackends())
            available = available || ((int)bt.first == backend_ && (int)bt.second == target_);
        // cv::dnn lists OpenCL targets whenever OpenCL is compiled in, and silently runs on the CPU without a device.
        if ((target_ == dnn::DNN_TARGET_OPENCL || target_ == dnn::DNN_TARGET_OPENCL_FP16) && !ocl::useOpenCL())
            available = false;
        // A CUDA build without a usable device (or driver) is listed too, and would fall back layer by layer.
        if (backend_ == dnn::DNN_BACKEND_CUDA && cuda::getCudaEnabledDeviceCount() <= 0)
            available = false;
        if (!available)
        {
            CV_LOG_WARNING(NULL, cv::format("%s: backend %d with target %d is not available in this OpenCV build; "
                                            "falling back to the OpenCV CPU backend", kWhere, requestedBackend_, requestedTarget_));
            backend_ = dnn::DNN_BACKEND_OPENCV;
            target_ = dnn::DNN_TARGET_CPU;
        }
    }

    dnn::Net loadNet() const
    {
        checkFile(model_, "model");
        if (!config_.empty())
            checkFile(config_, "config");
        dnn::Net net;
        try
        {
            net = dnn::readNet(model_, config_);
        }
        catch (const cv::Exception& e)
        {
            CV_Error(Error::StsError, cv::format("%s: cannot load model '%s'%s: %s", kWhere, model_.c_str(),
                                                 config_.empty() ? "" : cv::format(" with config '%s'", config_.c_str()).c_str(),
                                                 e.what()));
        }
        if (net.empty())
            CV_Error(Error::StsError, cv::format("%s: model '%s' loaded as an empty network", kWhere, model_.c_str()));
        if (model_.size() > 8 && model_.substr(model_.size() - 8) == ".weights")
            checkDarknetWeights(model_, net);
        net.setPreferableBackend(backend_);
        net.setPreferableTarget(target_);
        return net;
    }

    String findGlobalPooling(dnn::Net& net) const
    {
        std::vector<String> names = net.getLayerNames();
        std::vector<int> ids;
        std::vector<std::vector<dnn::MatShape>> inShapes, outShapes;
        const dnn::MatShape input = {1, 3, pp_.inputSize.height, pp_.inputSize.width};
        try
        {
            net.getLayersShapes(input, ids, inShapes, outShapes);
        }
        catch (const cv::Exception& e)
        {
            // Shape inference is optional here: the layer's own global flag still identifies the feature layer.
            CV_LOG_DEBUG(NULL, cv::format("%s: shape inference failed (%s)", kWhere, e.what()));
            ids.clear();
        }
        for (int i = (int)names.size() - 1; i >= 0; i--)
        {
            const int id = net.getLayerId(names[i]);
            std::vector<dnn::MatShape> shapes;
            for (size_t k = 0; k < ids.size(); k++)
                if (ids[k] == id)
                    shapes = outShapes[k];
            if (isGlobalPooling(net.getLayer(id), shapes))
                return names[i];
        }
        CV_Error(Error::StsObjectNotFound, cv::format("%s: model '%s' has no global pooling layer; pass the feature layer "
                                                      "name explicitly (the model has %zu layers, the last is '%s')", kWhere,
                                                      model_.c_str(), names.size(), names.empty() ? "" : names.back().c_str()));
    }

    // Preprocesses images [start, start + count) into an N x 3 x H x W blob.
    void makeBlob(const std::vector<Mat>& imgs, int start, int count, Mat& blob) const
    {
        const int H = pp_.inputSize.height, W = pp_.inputSize.width;
        const int sz[] = {count, 3, H, W};
        blob.create(4, sz, CV_32F);
        // Images and colour planes are independent: spread them over the cores (the bilinear resize dominates; one
        // task per plane keeps both cores busy even for a single image).
        parallel_for_(Range(0, count * 3), [&](const Range& r) {
            for (int t = r.start; t < r.end; t++)
                preprocessPlane(imgs[start + t / 3], blob, t / 3, t % 3);
        });
    }

    // Network input plane c of image n: the BGR(A) or grey source channel, resized, cropped, normalised.
    void preprocessPlane(const Mat& src, Mat& blob, int n, int c) const
    {
        const int H = pp_.inputSize.height, W = pp_.inputSize.width;
        // Network channel c is BGR channel (2 - c) when feeding RGB; grey feeds every channel; alpha is dropped.
        const int channel = src.channels() == 1 ? 0 : (pp_.swapRB ? 2 - c : c);
        Mat plane;
        if (src.channels() == 1)
            plane = src;
        else
            extractChannel(src, plane, channel);
        const bool integer = src.depth() == CV_8U;
        Mat f;
        plane.convertTo(f, CV_32F);

        Mat cropped;
        if (pp_.resizeShorter > 0)
        {
            // torchvision Resize(int): shorter side -> resizeShorter, longer side truncated like int().
            const int h = f.rows, w = f.cols, s = pp_.resizeShorter;
            Size rs = h <= w ? Size((int)((int64)s * w / h), s) : Size(s, (int)((int64)s * h / w));
            Mat resized;
            if (rs == f.size())
                resized = f;
            else
                resize(f, resized, rs, 0, 0, INTER_LINEAR);
            // CenterCrop: Python's round() on the half margin, i.e. round half to even.
            const int top = (int)std::nearbyint((rs.height - H) / 2.0);
            const int left = (int)std::nearbyint((rs.width - W) / 2.0);
            cropped = resized(Rect(left, top, W, H));
        }
        else if (f.size() != pp_.inputSize)
            resize(f, cropped, pp_.inputSize, 0, 0, INTER_LINEAR);
        else
            cropped = f;
        if (integer)
        {
            // torchvision rounds a resized uint8 tensor back to uint8 (half to even, as cvRound).
            Mat rounded;
            cropped.convertTo(rounded, CV_8U);
            cropped = rounded;
        }
        Mat dst(H, W, CV_32F, blob.ptr<float>(n, c));
        // ((x * scale) - mean) / std, folded into one affine map.
        const double a = pp_.scale / pp_.std[c], b = -pp_.mean[c] / pp_.std[c];
        cropped.convertTo(dst, CV_32F, a, b);
    }

    // Takes a network from the pool (a new copy while under maxNets_), waits when all are busy.
    Ptr<dnn::Net> acquire() const
    {
        std::unique_lock<std::mutex> lock(poolMutex_);
        for (;;)
        {
            if (!nets_.empty())
            {
                Ptr<dnn::Net> net = nets_.back();
                nets_.pop_back();
                return net;
            }
            if (created_ < maxNets_)
            {
                created_++;
                lock.unlock();
                try
                {
                    return makePtr<dnn::Net>(loadNet());
                }
                catch (...)
                {
                    lock.lock();
                    created_--;
                    poolCv_.notify_one(); // a waiter may load the copy instead
                    throw;
                }
            }
            poolCv_.wait(lock);
        }
    }

    void release(const Ptr<dnn::Net>& net) const
    {
        {
            std::lock_guard<std::mutex> lock(poolMutex_);
            nets_.push_back(net);
        }
        poolCv_.notify_one();
    }

    // Forward pass of one blob; writes blob.size[0] feature rows into `rows`.
    void forward(const Mat& blob, Mat rows) const
    {
        Ptr<dnn::Net> net = acquire();
        try
        {
            net->setInput(blob);
            // The output aliases the network's own buffers: copy it out before another thread may reuse the network.
            Mat out = net->forward(layer_);
            storeFeatures(out, blob.size[0], rows);
        }
        catch (...)
        {
            release(net);
            throw;
        }
        release(net);
    }

    void storeFeatures(const Mat& out, int n, Mat& rows) const
    {
        if (out.empty() || out.size[0] != n || (int)(out.total() / n) != dim_)
            CV_Error(Error::StsError, cv::format("%s: layer '%s' gave %zu values for %d images, expected %d each", kWhere,
                                                 layer_.c_str(), out.total(), n, dim_));
        Mat flat = out.reshape(1, n);
        if (normalize_)
        {
            for (int i = 0; i < n; i++)
            {
                Mat dst = rows.row(i);
                normalize(flat.row(i), dst, 1.0, 0.0, NORM_L2);
            }
        }
        else
            flat.copyTo(rows);
    }

    String model_, config_;
    EncoderPreprocessing pp_;
    int requestedBackend_, requestedTarget_;
    int backend_ = 0, target_ = 0;
    String layer_;
    int dim_ = 0;
    int batchSize_ = 16;
    bool normalize_ = false;

    mutable std::mutex poolMutex_;
    mutable std::condition_variable poolCv_;
    mutable std::vector<Ptr<dnn::Net>> nets_; // idle networks
    mutable int created_ = 0;                  // networks loaded (idle or in use)
    int maxNets_ = 1;
};

Ptr<VisualEncoder> VisualEncoder::create(const String& model, const String& config, const EncoderPreprocessing& preprocessing,
                                         const String& featureLayer, int backend_id, int target_id)
{
    return makePtr<VisualEncoderImpl>(model, config, preprocessing, featureLayer, backend_id, target_id);
}

}} // namespace cv::zsl
