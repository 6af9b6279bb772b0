// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "nn/nn_layers.hpp"
#include "nn/nn_gemm.hpp"
#include "methods/compatibility_model.hpp" // readMatrix

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

float uniform01(Rng& rng)
{
    // 24 random bits -> exactly representable float in [0, 1).
    return (float)(rng() >> 40) * (1.0f / 16777216.0f);
}

float normal01(Rng& rng)
{
    // Box-Muller with u1 in (0, 1] so that the log is finite; one sample per call keeps the stream simple.
    const double u1 = ((double)(rng() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    const double u2 = (double)(rng() >> 11) * (1.0 / 9007199254740992.0);
    return (float)(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * CV_PI * u2));
}

void fillNormal(RowMatrixXf& m, Rng& rng, float stddev)
{
    float* p = m.data();
    for (Eigen::Index i = 0; i < m.size(); i++)
        p[i] = stddev * normal01(rng);
}

void shuffleIndices(std::vector<int>& v, Rng& rng)
{
    for (size_t i = v.size(); i > 1; i--)
    {
        const size_t j = (size_t)(rng() % i);
        std::swap(v[i - 1], v[j]);
    }
}

static void fillUniform(RowMatrixXf& m, Rng& rng, float bound)
{
    float* p = m.data();
    for (Eigen::Index i = 0; i < m.size(); i++)
        p[i] = bound * (2.f * uniform01(rng) - 1.f);
}

// ---------------------------------------------------------------------------------------------------
Dense::Dense(int in, int out, Rng& rng, Init init, bool bias) : hasBias_(bias)
{
    if (in < 1 || out < 1)
        CV_Error(Error::StsOutOfRange, cv::format("zsl nn::Dense: sizes must be positive, got %d -> %d", in, out));
    W_.name = "W";
    W_.value.resize(in, out);
    W_.grad.setZero(in, out);
    b_.name = "b";
    b_.decay = false;
    b_.value.setZero(1, out);
    b_.grad.setZero(1, out);
    switch (init)
    {
    case INIT_HE: fillUniform(W_.value, rng, std::sqrt(6.f / in)); break;
    case INIT_GLOROT: fillUniform(W_.value, rng, std::sqrt(6.f / (in + out))); break;
    case INIT_TORCH:
        fillUniform(W_.value, rng, 1.f / std::sqrt((float)in));
        if (bias)
            fillUniform(b_.value, rng, 1.f / std::sqrt((float)in));
        break;
    case INIT_ZERO: W_.value.setZero(); break;
    default: CV_Error(Error::StsOutOfRange, cv::format("zsl nn::Dense: unknown init %d", (int)init));
    }
}

int Dense::outputDim(int inputDim) const
{
    if (inputDim != inputSize())
        CV_Error(Error::StsBadSize, cv::format("zsl nn::Dense: input has %d columns, the layer expects %d",
                                               inputDim, inputSize()));
    return outputSize();
}

const RowMatrixXf& Dense::forward(const RowMatrixXf& in, bool, Rng&)
{
    outputDim((int)in.cols());
    input_ = in; // backward needs it; a copy is O(rows x in), negligible beside the O(rows x in x out) product
    matmul(input_, W_.value, output_);
    if (hasBias_)
        output_.rowwise() += b_.value.row(0);
    return output_;
}

void Dense::backward(const RowMatrixXf& gradOut, RowMatrixXf* gradIn)
{
    CV_Assert(gradOut.rows() == input_.rows() && gradOut.cols() == W_.value.cols());
    matmulTN(input_, gradOut, W_.grad);
    if (hasBias_)
        b_.grad = gradOut.colwise().sum();
    if (gradIn)
        matmulNT(gradOut, W_.value, *gradIn);
}

RowMatrixXf Dense::infer(const RowRefXf& in) const
{
    outputDim((int)in.cols());
    RowMatrixXf out;
    matmul(in, W_.value, out);
    if (hasBias_)
        out.rowwise() += b_.value.row(0);
    return out;
}

std::vector<Parameter*> Dense::parameters()
{
    if (hasBias_)
        return {&W_, &b_};
    return {&W_};
}

// ---------------------------------------------------------------------------------------------------
LeakyReLU::LeakyReLU(float slope) : slope_(slope)
{
    if (!(slope >= 0.f && slope < 1.f))
        CV_Error(Error::StsOutOfRange, cv::format("zsl nn::LeakyReLU: slope %g must be in [0, 1)", slope));
}

const RowMatrixXf& LeakyReLU::forward(const RowMatrixXf& in, bool, Rng&)
{
    input_ = in;
    output_ = (in.array() > 0.f).select(in, slope_ * in);
    return output_;
}

void LeakyReLU::backward(const RowMatrixXf& gradOut, RowMatrixXf* gradIn)
{
    CV_Assert(gradOut.rows() == input_.rows() && gradOut.cols() == input_.cols());
    if (gradIn)
        *gradIn = (input_.array() > 0.f).select(gradOut, slope_ * gradOut);
}

RowMatrixXf LeakyReLU::infer(const RowRefXf& in) const
{
    return (in.array() > 0.f).select(in, slope_ * in);
}

void LeakyReLU::inferInPlace(RowMatrixXf& x) const
{
    // Coefficient-wise: each value is read before it is written, so the aliasing is safe.
    x = (x.array() > 0.f).select(x, slope_ * x);
}

// ---------------------------------------------------------------------------------------------------
Dropout::Dropout(float p) : p_(p)
{
    if (!(p >= 0.f && p < 1.f))
        CV_Error(Error::StsOutOfRange, cv::format("zsl nn::Dropout: probability %g must be in [0, 1)", p));
}

const RowMatrixXf& Dropout::forward(const RowMatrixXf& in, bool training, Rng& rng)
{
    if (!training || p_ == 0.f)
    {
        mask_.setConstant(in.rows(), in.cols(), 1.f);
        output_ = in;
        return output_;
    }
    mask_.resize(in.rows(), in.cols());
    const float keep = 1.f / (1.f - p_);
    float* m = mask_.data();
    for (Eigen::Index i = 0; i < mask_.size(); i++)
        m[i] = uniform01(rng) < p_ ? 0.f : keep;
    output_ = in.cwiseProduct(mask_);
    return output_;
}

void Dropout::backward(const RowMatrixXf& gradOut, RowMatrixXf* gradIn)
{
    CV_Assert(gradOut.rows() == mask_.rows() && gradOut.cols() == mask_.cols());
    if (gradIn)
        *gradIn = gradOut.cwiseProduct(mask_);
}

// ---------------------------------------------------------------------------------------------------
void Sequential::add(std::unique_ptr<Layer> layer)
{
    CV_Assert(layer);
    if (Dense* d = dynamic_cast<Dense*>(layer.get()))
    {
        const int out = outputDim();
        if (inputDim_ < 0)
            inputDim_ = d->inputSize();
        else if (out >= 0 && out != d->inputSize())
            CV_Error(Error::StsBadSize, cv::format("zsl nn::Sequential: a dense layer of input %d follows an output of %d",
                                                   d->inputSize(), out));
    }
    layers_.push_back(std::move(layer));
    grads_.resize(layers_.size());
}

int Sequential::outputDim() const
{
    int d = inputDim_;
    if (d < 0)
        return -1;
    for (const auto& l : layers_)
        d = l->outputDim(d);
    return d;
}

const RowMatrixXf& Sequential::forward(const RowMatrixXf& in, bool training, Rng& rng)
{
    CV_Assert(!layers_.empty());
    const RowMatrixXf* x = &in;
    for (auto& l : layers_)
        x = &l->forward(*x, training, rng);
    return *x;
}

void Sequential::backward(const RowMatrixXf& gradOut, RowMatrixXf* gradIn)
{
    CV_Assert(!layers_.empty());
    const RowMatrixXf* g = &gradOut;
    for (size_t i = layers_.size(); i-- > 0;)
    {
        // The first layer writes into the caller's buffer (or nowhere): no dL/dX unless asked for.
        RowMatrixXf* target = i == 0 ? gradIn : &grads_[i];
        layers_[i]->backward(*g, target);
        g = target;
    }
}

RowMatrixXf Sequential::infer(const RowRefXf& in) const
{
    CV_Assert(!layers_.empty());
    // The first layer reads the caller's rows in place; the later ones work on this one buffer where they can.
    RowMatrixXf x = layers_[0]->infer(in);
    for (size_t i = 1; i < layers_.size(); i++)
        layers_[i]->inferInPlace(x);
    return x;
}

std::vector<Parameter*> Sequential::parameters()
{
    std::vector<Parameter*> all;
    for (auto& l : layers_)
        for (Parameter* p : l->parameters())
            all.push_back(p);
    return all;
}

std::vector<RowMatrixXf> Sequential::snapshot() const
{
    std::vector<RowMatrixXf> values;
    // parameters() is non-const only because it hands out mutable pointers; nothing is modified here.
    for (Parameter* p : const_cast<Sequential*>(this)->parameters())
        values.push_back(p->value);
    return values;
}

void Sequential::restore(const std::vector<RowMatrixXf>& values)
{
    std::vector<Parameter*> params = parameters();
    CV_Assert(values.size() == params.size());
    for (size_t i = 0; i < params.size(); i++)
    {
        CV_Assert(values[i].rows() == params[i]->value.rows() && values[i].cols() == params[i]->value.cols());
        params[i]->value = values[i];
    }
}

void Sequential::write(FileStorage& fs, const String& name) const
{
    fs << name << "[";
    for (const auto& l : layers_)
    {
        fs << "{" << "type" << l->type();
        if (const Dense* d = dynamic_cast<const Dense*>(l.get()))
        {
            fs << "bias" << (int)d->hasBias();
            fs << "W" << toMat(d->weight().value);
            if (d->hasBias())
                fs << "b" << toMat(d->bias().value);
        }
        else if (const LeakyReLU* r = dynamic_cast<const LeakyReLU*>(l.get()))
            fs << "slope" << r->slope();
        else if (const Dropout* p = dynamic_cast<const Dropout*>(l.get()))
            fs << "p" << p->probability();
        fs << "}";
    }
    fs << "]";
}

void Sequential::read(const FileNode& node, const String& name)
{
    FileNode seq = node[name];
    if (seq.empty() || !seq.isSeq() || seq.size() == 0)
        CV_Error(Error::StsParseError, cv::format("zsl model: network '%s' is missing or empty", name.c_str()));
    Sequential net;
    Rng unused(0);
    int index = 0;
    for (FileNodeIterator it = seq.begin(); it != seq.end(); ++it, ++index)
    {
        FileNode l = *it;
        if (!l.isMap())
            CV_Error(Error::StsParseError, cv::format("zsl model: %s[%d] is not a map", name.c_str(), index));
        String type;
        l["type"] >> type;
        if (type == "dense")
        {
            int bias = 1;
            l["bias"] >> bias;
            RowMatrixXf W = readMatrix(l, "W");
            Dense& d = net.emplace<Dense>((int)W.rows(), (int)W.cols(), unused, INIT_ZERO, bias != 0);
            d.weight().value = W;
            if (bias)
                d.bias().value = readMatrix(l, "b", 1, (int)W.cols());
        }
        else if (type == "leaky_relu")
        {
            float slope = -1.f;
            l["slope"] >> slope;
            net.emplace<LeakyReLU>(slope);
        }
        else if (type == "dropout")
        {
            float p = -1.f;
            l["p"] >> p;
            net.emplace<Dropout>(p);
        }
        else
            CV_Error(Error::StsParseError, cv::format("zsl model: %s[%d] has unknown layer type '%s'",
                                                      name.c_str(), index, type.c_str()));
    }
    if (net.inputDim() < 0)
        CV_Error(Error::StsParseError, cv::format("zsl model: network '%s' has no dense layer", name.c_str()));
    *this = std::move(net);
}

Sequential makeMlp(int in, const std::vector<int>& hidden, int out, float slope, float dropout, Rng& rng)
{
    Sequential net;
    int width = in;
    for (int h : hidden)
    {
        net.emplace<Dense>(width, h, rng, INIT_HE);
        net.emplace<LeakyReLU>(slope);
        if (dropout > 0.f)
            net.emplace<Dropout>(dropout);
        width = h;
    }
    net.emplace<Dense>(width, out, rng, INIT_GLOROT);
    return net;
}

}}}} // namespace cv::zsl::detail::nn
