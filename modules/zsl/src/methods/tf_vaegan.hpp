// This file is part of the opencv_zsl module (cv::zsl).
// Internal: the TF-VAEGAN networks and their training steps (Narayan et al., "Latent Embedding Feedback and
// Discriminative Features for Zero-Shot Classification", ECCV 2020), exposed for gradient tests.
#ifndef OPENCV_ZSL_TF_VAEGAN_HPP
#define OPENCV_ZSL_TF_VAEGAN_HPP

#include "nn/nn_layers.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Loss weights of one TF-VAEGAN generator step. */
struct TfVaeganWeights
{
    float adversarial = 0; //!< weight of the critic term -mean D(G(z, a), a) (the code's gammaG)
    float cycle = 0;       //!< weight of the decoder's cycle term L1(Dec(G(z, a)), a) (the paper's beta)
    float feedback = 0;    //!< feedback weight delta; 0: one generator pass, no feedback
};

/** f-VAEGAN (conditional VAE whose decoder is the generator, conditional WGAN-GP critic) + the semantic
    embedding decoder Dec and the feedback module F. The generator and the decoder are split at their
    hidden layer: the feedback is added to the generator's hidden activation, and the decoder's hidden
    activation feeds the feedback module and the discriminative features. */
struct TfVaeganNets
{
    nn::Sequential encoder;   //!< E([x a]) -> [mu logvar] (2 x latent)
    nn::Sequential genHidden; //!< G's hidden layer: [z a] -> g (LeakyReLU)
    nn::Sequential genOutput; //!< G's output layer: g -> x (ReLU for non-negative features)
    nn::Sequential critic;    //!< D([x a]) (makeCritic(): the closed-form gradient penalty applies)
    nn::Sequential decHidden; //!< Dec's hidden layer: x -> h (LeakyReLU)
    nn::Sequential decOutput; //!< Dec's output layer: h -> a-hat (linear)
    nn::Sequential feedback;  //!< F: h -> H-wide feedback added to g (two dense layers, LeakyReLU after each)
    int latent = 0;

    /** Every network with one hidden layer of `hidden` units (LeakyReLU `slope`), drawn from rng in a fixed order. */
    static TfVaeganNets create(int featureDim, int prototypeDim, int latent, int hidden, float slope,
                               bool nonNegativeOutput, nn::Rng& rng);

    /** Inference: G(z, a) for rows [z a], without feedback when delta == 0, else the second pass
        out(g([z a]) + delta F(h(G(z, a)))). Const, thread-safe. */
    RowMatrixXf generate(const RowMatrixXf& noiseAndPrototypes, float delta) const;

    /** The discriminative features [x, h(x), Dec(x)] (D + H + A columns). Const, thread-safe. */
    RowMatrixXf transform(const RowRefXf& x) const;
    //! classifier.infer(transform(x)) for a single affine classifier, without forming transform(x).
    RowMatrixXf transformedLogits(const RowRefXf& x, const nn::Dense& classifier) const;

    /** One generator minibatch: z from E([x a]) (reparameterised, eps from rng); with feedback, a first pass
        G(z, a) whose decoder hidden activation h feeds F (h is held constant, as the authors' code detaches
        it); loss L1(G, x) + KL + w.adversarial (-mean D([G a])) + w.cycle L1(Dec(G), a), each per-sample sum
        averaged over rows. Writes the gradients of the encoder, the generator, the decoder and (with
        feedback) the feedback module; the critic's gradients are overwritten and must not be applied.
        `heldFeedbackInput`, when not null and not empty, replaces h (finite-difference tests keep it fixed);
        when not null and empty it receives h. Returns the loss. */
    double generatorStep(const RowMatrixXf& x, const RowMatrixXf& a, const TfVaeganWeights& w, nn::Rng& rng,
                         RowMatrixXf* heldFeedbackInput = nullptr);

    /** One decoder minibatch on real features: weight * L1(Dec(x), a) into the decoder's gradients. Returns it. */
    double decoderStep(const RowMatrixXf& x, const RowMatrixXf& a, float weight, nn::Rng& rng);

    std::vector<nn::Parameter*> generatorParameters();
    std::vector<nn::Parameter*> decoderParameters();
};

}}} // namespace cv::zsl::detail

#endif
