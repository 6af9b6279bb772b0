// This file is part of the opencv_zsl module (cv::zsl).
// Placeholder until the cv::dnn encoder lands (issue #3): the API exists, creation reports it is unavailable.
#include "precomp.hpp"

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

Ptr<VisualEncoder> VisualEncoder::create(const String&, const String&, const EncoderPreprocessing&, const String&, int, int)
{
    CV_Error(Error::StsNotImplemented, "zsl VisualEncoder: not available yet");
}

}} // namespace cv::zsl
