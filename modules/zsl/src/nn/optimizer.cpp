// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "nn/optimizer.hpp"

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

Optimizer::Optimizer(std::vector<Parameter*> params, double learningRate, double weightDecay)
    : params_(std::move(params)), lr_(learningRate), weightDecay_(weightDecay)
{
    if (!(learningRate > 0) || !std::isfinite(learningRate))
        CV_Error(Error::StsOutOfRange, cv::format("zsl nn::Optimizer: learning rate %g must be positive", learningRate));
    if (!(weightDecay >= 0) || !std::isfinite(weightDecay))
        CV_Error(Error::StsOutOfRange, cv::format("zsl nn::Optimizer: weight decay %g must be >= 0", weightDecay));
    for (Parameter* p : params_)
        CV_Assert(p != nullptr);
}

void Optimizer::setLearningRate(double lr)
{
    if (!(lr > 0) || !std::isfinite(lr))
        CV_Error(Error::StsOutOfRange, cv::format("zsl nn::Optimizer: learning rate %g must be positive", lr));
    lr_ = lr;
}

void Optimizer::effectiveGradient(const Parameter& p, RowMatrixXf& out) const
{
    CV_Assert(p.grad.rows() == p.value.rows() && p.grad.cols() == p.value.cols());
    if (p.decay && weightDecay_ > 0)
        out = p.grad + (float)weightDecay_ * p.value;
    else
        out = p.grad;
}

Adam::Adam(std::vector<Parameter*> params, double learningRate, double weightDecay, double beta1, double beta2, double eps)
    : Optimizer(std::move(params), learningRate, weightDecay), beta1_(beta1), beta2_(beta2), eps_(eps)
{
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0))
        CV_Error(Error::StsOutOfRange, "zsl nn::Adam: beta1 and beta2 must be in [0, 1) and eps positive");
    for (Parameter* p : params_)
    {
        m_.push_back(RowMatrixXf::Zero(p->value.rows(), p->value.cols()));
        v_.push_back(RowMatrixXf::Zero(p->value.rows(), p->value.cols()));
    }
}

void Adam::step()
{
    t_++;
    const float b1 = (float)beta1_, b2 = (float)beta2_;
    const double bias1 = 1.0 - std::pow(beta1_, (double)t_), bias2 = 1.0 - std::pow(beta2_, (double)t_);
    // PyTorch's form: value -= lr / bias1 * m / (sqrt(v) / sqrt(bias2) + eps).
    const float stepSize = (float)(lr_ / bias1);
    const float invSqrtBias2 = (float)(1.0 / std::sqrt(bias2));
    const float eps = (float)eps_;
    for (size_t i = 0; i < params_.size(); i++)
    {
        Parameter& p = *params_[i];
        effectiveGradient(p, g_);
        CV_Assert(m_[i].rows() == g_.rows() && m_[i].cols() == g_.cols());
        m_[i] = b1 * m_[i] + (1.f - b1) * g_;
        v_[i] = b2 * v_[i] + (1.f - b2) * g_.cwiseAbs2();
        p.value.array() -= stepSize * m_[i].array() / (v_[i].array().sqrt() * invSqrtBias2 + eps);
    }
}

Sgd::Sgd(std::vector<Parameter*> params, double learningRate, double momentum, double weightDecay)
    : Optimizer(std::move(params), learningRate, weightDecay), momentum_(momentum)
{
    if (!(momentum >= 0 && momentum < 1))
        CV_Error(Error::StsOutOfRange, cv::format("zsl nn::Sgd: momentum %g must be in [0, 1)", momentum));
    for (Parameter* p : params_)
        velocity_.push_back(RowMatrixXf::Zero(p->value.rows(), p->value.cols()));
}

void Sgd::step()
{
    const float mom = (float)momentum_, lr = (float)lr_;
    for (size_t i = 0; i < params_.size(); i++)
    {
        Parameter& p = *params_[i];
        effectiveGradient(p, g_);
        CV_Assert(velocity_[i].rows() == g_.rows() && velocity_[i].cols() == g_.cols());
        velocity_[i] = mom * velocity_[i] + g_;
        p.value -= lr * velocity_[i];
    }
}

}}}} // namespace cv::zsl::detail::nn
