// This file is part of the opencv_zsl module (cv::zsl).
// Internal: the CADA-VAE networks and their training step (Schoenfeld et al., "Generalized Zero- and
// Few-Shot Learning via Aligned Variational Autoencoders", CVPR 2019), exposed for gradient tests.
#ifndef OPENCV_ZSL_CADA_VAE_HPP
#define OPENCV_ZSL_CADA_VAE_HPP

#include "nn/nn_layers.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Loss weights of one CADA-VAE step. */
struct CadaWeights
{
    float beta = 0;  //!< KL weight
    float gamma = 0; //!< cross-reconstruction weight
    float delta = 0; //!< distribution-alignment (Wasserstein) weight
};

/** The paper's warm-up schedules, stretched from its 100 epochs to `epochs`: weights during 0-based `epoch`. */
CadaWeights cadaWarmup(int epoch, int epochs);

/** Two VAEs (features x, prototypes a) with encoders to [mu logvar] (2 x latent) and decoders from the latent. */
struct CadaVaeNets
{
    nn::Sequential encX, decX, encA, decA;
    int latent = 0;

    /** One minibatch: forward of the full loss (L1 reconstructions + beta KL + gamma cross-L1 + delta
        Wasserstein, each a per-sample sum averaged over rows), backward into every parameter gradient.
        Noise (reparameterisation, dropout) comes from rng. Returns the loss. */
    double step(const RowMatrixXf& x, const RowMatrixXf& a, const CadaWeights& w, nn::Rng& rng);

    std::vector<nn::Parameter*> parameters();
};

/** Latent samples mu + sigma * eps of the encoder output h = [mu logvar] (log-variances clamped). */
RowMatrixXf sampleLatent(const RowMatrixXf& h, int latent, nn::Rng& rng);

/** The reparameterised half of a VAE (also TF_VAEGAN's): from an encoder output h = [mu logvar]
    (2 x latent columns), the clamped log-variance, sigma, the noise eps (drawn from rng) and z = mu + sigma * eps. */
struct GaussianPosterior
{
    RowMatrixXf mu, raw, logVar, sigma, eps, z;
    void sample(const RowMatrixXf& h, int latent, nn::Rng& rng);
    /** [dL/dmu dL/dlogvar] of the encoder output from dL/dz and the direct terms on mu and logvar
        (zero where the log-variance clamp was active). */
    RowMatrixXf encoderGradient(const RowMatrixXf& gz, const RowMatrixXf& gMu, const RowMatrixXf& gLogVar) const;
};

}}} // namespace cv::zsl::detail

#endif
