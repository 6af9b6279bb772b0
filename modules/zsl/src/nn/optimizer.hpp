// This file is part of the opencv_zsl module (cv::zsl).
// Internal training engine, part 3: optimizers.
//
// Interface contract (stable): an optimizer is built over a fixed list of Parameter pointers (they must
// outlive it and keep their shapes); step() applies one update from each Parameter::grad.
// Weight decay is the classic L2 penalty: weightDecay * value is added to the gradient of parameters
// with Parameter::decay set (weights, not biases) - the same as PyTorch's `weight_decay` of Adam/SGD.
#ifndef OPENCV_ZSL_OPTIMIZER_HPP
#define OPENCV_ZSL_OPTIMIZER_HPP

#include "nn/nn_layers.hpp"

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

class Optimizer
{
public:
    Optimizer(std::vector<Parameter*> params, double learningRate, double weightDecay);
    virtual ~Optimizer() = default;
    //! One update of every parameter from its current gradient.
    virtual void step() = 0;
    void setLearningRate(double lr);
    double learningRate() const { return lr_; }

protected:
    //! grad + weightDecay * value for decayed parameters, grad otherwise (into `out`).
    void effectiveGradient(const Parameter& p, RowMatrixXf& out) const;

    std::vector<Parameter*> params_;
    double lr_, weightDecay_;
};

/** Adam (Kingma & Ba, 2015) with bias correction; PyTorch's defaults. */
class Adam CV_FINAL : public Optimizer
{
public:
    Adam(std::vector<Parameter*> params, double learningRate = 1e-3, double weightDecay = 0,
         double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8);
    void step() CV_OVERRIDE;

private:
    double beta1_, beta2_, eps_;
    long long t_ = 0;
    std::vector<RowMatrixXf> m_, v_;
    RowMatrixXf g_;
};

/** SGD with (heavy-ball) momentum: v = momentum v + g; value -= lr v (PyTorch's formulation). */
class Sgd CV_FINAL : public Optimizer
{
public:
    Sgd(std::vector<Parameter*> params, double learningRate, double momentum = 0.9, double weightDecay = 0);
    void step() CV_OVERRIDE;

private:
    double momentum_;
    std::vector<RowMatrixXf> velocity_;
    RowMatrixXf g_;
};

}}}} // namespace cv::zsl::detail::nn

#endif
