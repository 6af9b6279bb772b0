// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "methods/compatibility_model.hpp"
#include "methods/closed_form.hpp"
#include "io/storage.hpp"

namespace cv {
namespace zsl {
namespace detail {

std::shared_ptr<CompatibilityModel> createCompatibilityModel(const ZeroShotClassifier::Params& params)
{
    switch (params.method)
    {
    case ZeroShotClassifier::ESZSL: return createEszslModel(params);
    case ZeroShotClassifier::SAE: return createSaeModel(params);
    case ZeroShotClassifier::MLP: return createMlpModel(params);
    case ZeroShotClassifier::GENERATIVE: return createGenerativeModel(params);
    case ZeroShotClassifier::CADA_VAE: return createCadaVaeModel(params);
    case ZeroShotClassifier::F_CLSWGAN: return createFClswganModel(params);
    case ZeroShotClassifier::TF_VAEGAN: return createTfVaeganModel(params);
    case ZeroShotClassifier::DEVISE: return createDeviseModel(params);
    case ZeroShotClassifier::ALE: return createAleModel(params);
    case ZeroShotClassifier::SJE: return createSjeModel(params);
    case ZeroShotClassifier::CONSE: return createConseModel(params);
    default:
        CV_Error(Error::StsNotImplemented, cv::format("zsl: method %s is not available in this build",
                                                      methodName(params.method).c_str()));
    }
}

void CompatibilityModel::trainFromStatistics(ClosedFormStatistics, const RowMatrixXf&)
{
    CV_Error(Error::StsNotImplemented,
             cv::format("zsl: %s cannot be trained from sufficient statistics (only the closed-form methods ESZSL and SAE)",
                        methodName(method()).c_str()));
}

void writeMatrix(FileStorage& fs, const String& name, const RowMatrixXf& m)
{
    fs << name << toMat(m);
}

RowMatrixXf readMatrix(const FileNode& node, const String& name, int rows, int cols)
{
    Mat m = readMatNode(node[name], "zsl model: " + name);
    if (m.empty())
        CV_Error(Error::StsParseError, cv::format("zsl model: '%s' is empty", name.c_str()));
    if ((rows >= 0 && m.rows != rows) || (cols >= 0 && m.cols != cols))
        CV_Error(Error::StsParseError, cv::format("zsl model: '%s' is %d x %d, expected %d x %d",
                                                  name.c_str(), m.rows, m.cols, rows, cols));
    return toEigen(m, ("zsl model: " + name).c_str());
}

}}} // namespace cv::zsl::detail
