// This file is part of the opencv_zsl module (cv::zsl).
// Internal training engine, part 1: parameters, layers and their composition.
//
// Interface contract (stable; DeViSE/ALE/SJE/ConSE/MLP/GENERATIVE build on it):
//  - Data is a row-major float matrix (RowMatrixXf), one sample per row.
//  - Layer::forward(in, training, rng) returns the layer output (a reference valid until the next
//    forward() of that layer) and caches what backward() needs. `training` enables dropout; `rng` is
//    the caller's one explicit generator (never global state).
//  - Layer::backward(gradOut, gradIn) takes dL/d(output) of the last forward(), OVERWRITES the
//    gradients of the layer's parameters (Parameter::grad) and, when gradIn is not null, writes
//    dL/d(input). Call Sequential::backward once per forward.
//  - Layer::infer(in) is the const, cache-free, dropout-free forward used at prediction time; it is
//    safe to call from several threads at once. It reads `in` through a view (a caller's continuous
//    features are not copied); inferInPlace(x) overwrites x where the layer can (activations).
//  - Optimizers (optimizer.hpp) update Parameter::value from Parameter::grad.
#ifndef OPENCV_ZSL_NN_LAYERS_HPP
#define OPENCV_ZSL_NN_LAYERS_HPP

#include "eigen_bridge.hpp"
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

//! The single random generator type of the engine; seeded from Params::seed by its owner.
using Rng = std::mt19937_64;

/** Uniform float in [0, 1) from rng, identical on every platform (std::uniform_real_distribution is not). */
float uniform01(Rng& rng);
/** Standard normal sample (Box-Muller on uniform01), identical on every platform. */
float normal01(Rng& rng);
/** Fills m with N(0, stddev^2) samples, row by row. */
void fillNormal(RowMatrixXf& m, Rng& rng, float stddev = 1.f);
/** Fisher-Yates shuffle driven by rng (std::shuffle's draws are implementation-defined). */
void shuffleIndices(std::vector<int>& v, Rng& rng);

/** A trainable tensor with its gradient (same shape). */
struct Parameter
{
    RowMatrixXf value;
    RowMatrixXf grad;
    bool decay = true;  //!< weight decay applies (weights: yes, biases: no)
    std::string name;   //!< "W", "b", ... (for messages and serialisation)
};

/** Weight initialisations of a Dense layer. */
enum Init
{
    INIT_HE = 0,     //!< U(+-sqrt(6 / in)): keeps the activation scale through ReLU-like layers
    INIT_GLOROT = 1, //!< U(+-sqrt(6 / (in + out))): linear / output layers
    INIT_TORCH = 2,  //!< U(+-1 / sqrt(in)) for W and b: PyTorch's nn.Linear default
    INIT_ZERO = 3    //!< all zeros (bilinear models started at the origin)
};

/** A differentiable map from a batch (rows) to a batch. See the contract at the top of this file. */
class Layer
{
public:
    virtual ~Layer() = default;
    virtual const RowMatrixXf& forward(const RowMatrixXf& in, bool training, Rng& rng) = 0;
    virtual void backward(const RowMatrixXf& gradOut, RowMatrixXf* gradIn) = 0;
    virtual RowMatrixXf infer(const RowRefXf& in) const = 0;
    //! x = infer(x), without a new buffer where the layer works element by element.
    virtual void inferInPlace(RowMatrixXf& x) const { x = infer(x); }
    virtual std::vector<Parameter*> parameters() { return {}; }
    //! "dense", "leaky_relu", "dropout": the tag used by serialisation.
    virtual std::string type() const = 0;
    //! Output width for an input width (checks the input width where the layer fixes it).
    virtual int outputDim(int inputDim) const { return inputDim; }
};

/** Affine layer y = x W + b, W: in x out, b: 1 x out. */
class Dense CV_FINAL : public Layer
{
public:
    Dense(int in, int out, Rng& rng, Init init = INIT_HE, bool bias = true);
    const RowMatrixXf& forward(const RowMatrixXf& in, bool training, Rng& rng) CV_OVERRIDE;
    void backward(const RowMatrixXf& gradOut, RowMatrixXf* gradIn) CV_OVERRIDE;
    RowMatrixXf infer(const RowRefXf& in) const CV_OVERRIDE;
    std::vector<Parameter*> parameters() CV_OVERRIDE;
    std::string type() const CV_OVERRIDE { return "dense"; }
    int outputDim(int inputDim) const CV_OVERRIDE;

    int inputSize() const { return (int)W_.value.rows(); }
    int outputSize() const { return (int)W_.value.cols(); }
    bool hasBias() const { return hasBias_; }
    Parameter& weight() { return W_; }
    Parameter& bias() { return b_; }
    const Parameter& weight() const { return W_; }
    const Parameter& bias() const { return b_; }

private:
    Parameter W_, b_;
    bool hasBias_;
    RowMatrixXf input_, output_;
};

/** y = x for x > 0, slope * x otherwise; slope 0 is ReLU. */
class LeakyReLU CV_FINAL : public Layer
{
public:
    explicit LeakyReLU(float slope = 0.f);
    const RowMatrixXf& forward(const RowMatrixXf& in, bool training, Rng& rng) CV_OVERRIDE;
    void backward(const RowMatrixXf& gradOut, RowMatrixXf* gradIn) CV_OVERRIDE;
    RowMatrixXf infer(const RowRefXf& in) const CV_OVERRIDE;
    void inferInPlace(RowMatrixXf& x) const CV_OVERRIDE;
    std::string type() const CV_OVERRIDE { return "leaky_relu"; }
    float slope() const { return slope_; }

private:
    float slope_;
    RowMatrixXf input_, output_;
};

/** Inverted dropout: in training, zeroes each value with probability p and scales the rest by 1/(1-p);
    identity at inference. */
class Dropout CV_FINAL : public Layer
{
public:
    explicit Dropout(float p);
    const RowMatrixXf& forward(const RowMatrixXf& in, bool training, Rng& rng) CV_OVERRIDE;
    void backward(const RowMatrixXf& gradOut, RowMatrixXf* gradIn) CV_OVERRIDE;
    RowMatrixXf infer(const RowRefXf& in) const CV_OVERRIDE { return in; }
    void inferInPlace(RowMatrixXf&) const CV_OVERRIDE {}
    std::string type() const CV_OVERRIDE { return "dropout"; }
    float probability() const { return p_; }

private:
    float p_;
    RowMatrixXf mask_, output_;
};

/** A chain of layers; owns them. Serialises its own architecture and weights. */
class Sequential
{
public:
    Sequential() = default;
    Sequential(Sequential&&) = default;
    Sequential& operator=(Sequential&&) = default;

    void add(std::unique_ptr<Layer> layer);
    template <typename L, typename... Args>
    L& emplace(Args&&... args)
    {
        L* l = new L(std::forward<Args>(args)...);
        add(std::unique_ptr<Layer>(l));
        return *l;
    }

    const RowMatrixXf& forward(const RowMatrixXf& in, bool training, Rng& rng);
    //! Backpropagates dL/d(output); writes dL/d(input) when gradIn is not null.
    void backward(const RowMatrixXf& gradOut, RowMatrixXf* gradIn = nullptr);
    //! Const, thread-safe prediction (no dropout).
    RowMatrixXf infer(const RowRefXf& in) const;

    std::vector<Parameter*> parameters();
    size_t size() const { return layers_.size(); }
    bool empty() const { return layers_.empty(); }
    Layer& layer(size_t i) { return *layers_[i]; }
    const Layer& layer(size_t i) const { return *layers_[i]; }
    int inputDim() const { return inputDim_; }
    int outputDim() const;

    //! Copies of every parameter value (best-epoch snapshots for early stopping) and their restoration.
    std::vector<RowMatrixXf> snapshot() const;
    void restore(const std::vector<RowMatrixXf>& values);

    /** Writes the architecture and the weights as a FileStorage sequence named `name`. */
    void write(FileStorage& fs, const String& name) const;
    /** Rebuilds the network from node[name]; throws cv::Exception on any inconsistency. */
    void read(const FileNode& node, const String& name);

private:
    std::vector<std::unique_ptr<Layer>> layers_;
    std::vector<RowMatrixXf> grads_; // gradient buffers between layers
    int inputDim_ = -1;
};

/** in -> [Dense(h) -> LeakyReLU(slope) -> Dropout(p) if p > 0] for each h in hidden -> Dense(out).
    Hidden layers use INIT_HE, the output layer INIT_GLOROT. */
Sequential makeMlp(int in, const std::vector<int>& hidden, int out, float slope, float dropout, Rng& rng);

}}}} // namespace cv::zsl::detail::nn

#endif
