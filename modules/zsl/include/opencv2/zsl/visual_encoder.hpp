// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_VISUAL_ENCODER_HPP
#define OPENCV_ZSL_VISUAL_ENCODER_HPP

#include <opencv2/core.hpp>

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Image preprocessing of a backbone, in the spirit of cv::dnn::Model's parameters. */
struct CV_EXPORTS_W_SIMPLE EncoderPreprocessing
{
    //! The torchvision ImageNet values (the same as torchvision()).
    CV_WRAP EncoderPreprocessing();

    CV_PROP_RW Size inputSize;     //!< network input (after crop); default 224 x 224
    CV_PROP_RW int resizeShorter;  //!< shorter side before the centre crop; 0: resize straight to inputSize (default 256)
    CV_PROP_RW bool swapRB;        //!< feed RGB (true, default) or BGR (false) to the network
    CV_PROP_RW double scale;       //!< multiplies pixel values first (default 1/255)
    CV_PROP_RW Scalar mean;        //!< subtracted after scaling, in network channel order (default 0.485, 0.456, 0.406)
    CV_PROP_RW Scalar std;         //!< divides after the mean; zeros are not allowed (default 0.229, 0.224, 0.225)

    /** @brief torchvision ImageNet convention: RGB, x1/255, ImageNet mean/std, shorter side 256, centre crop 224.

    Reproduces `Resize(256)` + `CenterCrop(224)` of torchvision.transforms applied to a uint8 tensor
    (bilinear, antialias off): the long side becomes int(256 * long / short), the image is resized in float
    with cv::INTER_LINEAR (the same half-pixel sampling as torch's bilinear), 8-bit input is rounded back to
    8 bits as torchvision does for uint8 tensors, and the crop offsets use Python's round-half-to-even.
    The PIL path (`Image.open` + the same transforms) antialiases when downscaling, which OpenCV's
    bilinear resize does not: features then differ by about 1% (see tools/export_resnet18.py).
    */
    CV_WRAP static EncoderPreprocessing torchvision(Size inputSize = Size(224, 224), int resizeShorter = 256);
    //! Caffe convention: BGR, 0..255, mean (104, 117, 123) subtracted, resize to 224.
    CV_WRAP static EncoderPreprocessing caffe(Size inputSize = Size(224, 224));
    //! Preset by name: "torchvision" or "caffe". @throws cv::Exception on an unknown name.
    CV_WRAP static EncoderPreprocessing preset(const String& name);
};

// Defaults live in the constructor, not in member initialisers: OpenCV 4.x's Python header parser
// reads `CV_PROP_RW int x = 1;` as a property named "x = 1" and the bindings do not compile.
inline EncoderPreprocessing::EncoderPreprocessing()
    : inputSize(224, 224), resizeShorter(256), swapRB(true), scale(1.0 / 255.0),
      mean(0.485, 0.456, 0.406), std(0.229, 0.224, 0.225)
{
}

/** @brief Visual encoder: a backbone loaded with cv::dnn that turns images into pooled feature vectors.

The feature layer defaults to the output of the last global pooling layer (512-d for ResNet18).
Usage follows cv::FaceRecognizerSF: create from a model file (+ config) with backend and target.
*/
class CV_EXPORTS_W VisualEncoder : public Algorithm
{
public:
    /** @brief Loads a backbone through cv::dnn::readNet (ONNX, Caffe, TensorFlow, Darknet).
    @param model model file (.onnx, .caffemodel, .pb, .weights).
    @param config config file (.prototxt, .pbtxt, .cfg) or empty.
    @param preprocessing image preprocessing (see EncoderPreprocessing presets).
    @param featureLayer layer whose output is the feature, flattened per image; empty: the output of the
           last global pooling layer (a Pooling layer whose output is 1 x 1 for the configured input size).
    @param backend_id cv::dnn backend (DNN_BACKEND_DEFAULT, DNN_BACKEND_CUDA, ...); an unavailable
           backend falls back to the OpenCV CPU backend with a warning.
    @param target_id cv::dnn target (DNN_TARGET_CPU, DNN_TARGET_CUDA, DNN_TARGET_CUDA_FP16, ...).
    @throws cv::Exception on a missing, empty, truncated or corrupt model (the message names the file),
            an unknown feature layer, or a model without global pooling when featureLayer is empty.
    */
    CV_WRAP static Ptr<VisualEncoder> create(const String& model, const String& config = String(),
                                             const EncoderPreprocessing& preprocessing = EncoderPreprocessing(),
                                             const String& featureLayer = String(),
                                             int backend_id = 0, int target_id = 0);

    /** @brief Encodes images into an N x D CV_32F feature matrix (row i for image i).
    Accepts a single Mat or a vector of Mat: 8-bit or float (CV_32F/CV_64F, same 0..255 range as 8-bit),
    1, 3 or 4 channels in OpenCV's BGR(A) order (grey and BGRA converted). Images go through the network
    getBatchSize() at a time; a row does not depend on the batch it was computed in.
    Safe to call from several threads at once (see setMaxConcurrency()); the setters are not, call them first.
    @throws cv::Exception on no images, an empty image, another depth or channel count.
    */
    CV_WRAP virtual void encode(InputArrayOfArrays images, OutputArray features) const = 0;

    /** @brief Preprocesses images into the network input blob N x 3 x H x W (CV_32F), as encode() does. */
    CV_WRAP virtual void preprocess(InputArrayOfArrays images, OutputArray blob) const = 0;

    /** @brief Runs the network on a ready N x C x H x W CV_32F blob (e.g. from preprocess() or another
    library's preprocessing) and returns the N x D features (L2-normalised if getNormalize()). */
    CV_WRAP virtual void encodeBlob(InputArray blob, OutputArray features) const = 0;

    //! Feature dimension D.
    CV_WRAP virtual int getFeatureDim() const = 0;
    //! Name of the layer whose output is used as feature.
    CV_WRAP virtual String getFeatureLayer() const = 0;
    //! Images per forward pass (>= 1, default 16). @throws cv::Exception on 0 or less.
    CV_WRAP virtual void setBatchSize(int batchSize) = 0;
    CV_WRAP virtual int getBatchSize() const = 0;
    //! L2-normalise each feature row (default false; an all-zero row stays zero).
    CV_WRAP virtual void setNormalize(bool normalize) = 0;
    CV_WRAP virtual bool getNormalize() const = 0;
    //! Preprocessing in use.
    CV_WRAP virtual EncoderPreprocessing getPreprocessing() const = 0;
    //! Backend and target really in use (after any fallback).
    CV_WRAP virtual int getBackend() const = 0;
    CV_WRAP virtual int getTarget() const = 0;
    /** @brief How many copies of the network concurrent encode() calls may use (default 1: calls from
    several threads take turns on one network behind a mutex; more copies cost the model's memory each
    and only pay off when cores are left idle by one forward pass). */
    CV_WRAP virtual void setMaxConcurrency(int copies) = 0;
    CV_WRAP virtual int getMaxConcurrency() const = 0;
    //! Model and config paths (saved with a classifier so that it can reload its encoder).
    CV_WRAP virtual String getModelPath() const = 0;
    CV_WRAP virtual String getConfigPath() const = 0;
};

//! @}

}} // namespace cv::zsl

#endif
