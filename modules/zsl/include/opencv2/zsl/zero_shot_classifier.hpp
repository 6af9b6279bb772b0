// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_ZERO_SHOT_CLASSIFIER_HPP
#define OPENCV_ZSL_ZERO_SHOT_CLASSIFIER_HPP

#include <opencv2/core.hpp>
#include <functional>
#include "opencv2/zsl/prototypes.hpp"
#include "opencv2/zsl/visual_encoder.hpp"

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Progress of iterative training (DeViSE, ALE, SJE, MLP, GENERATIVE, CADA_VAE, F_CLSWGAN, TF_VAEGAN, ConSE's softmax), once per epoch. */
struct CV_EXPORTS TrainingProgress
{
    int epoch = 0;                  //!< 1-based epoch just finished
    int epochs = 0;                 //!< planned maximum
    double loss = 0;                //!< mean training loss of the epoch
    double validationAccuracy = -1; //!< per-class top-1 on held-out seen classes; -1 without a validation split
};

//! Called after every epoch of iterative training.
typedef std::function<void(const TrainingProgress&)> TrainingCallback;

/** @brief Zero-shot classifier: visual features (or images) -> compatibility with class prototypes.

Train on features of *seen* classes with their prototypes; then register *unseen* classes by
prototype alone (setUnseenClasses(), addClass()) and label new images:
- ZSL mode: candidates are the unseen classes only;
- GZSL mode: candidates are seen + unseen classes; calibrated stacking (Chao et al., 2016)
  subtracts a constant from the scores of seen classes to counter the seen-class bias.

Class indices returned by predict() index getClasses().

Thread safety (serving while registering classes):
- predict(), predictImages(), computeScores(), predictAttributes(), extractFeatures(), getClasses() and
  the other getters, write() and save() may run concurrently from any number of threads, also
  concurrently with addClass(), setUnseenClasses(), setMode(), setCalibration(), setEncoder() and
  train(). The classes, mode, calibration, encoder and trained model form one immutable snapshot that
  those calls replace atomically: each call works on one consistent state, the old or the new, never
  a mixture (e.g. predict() racing addClass() returns indices valid for the snapshot it used, and a
  GZSL calibration never applies to another class table).
- The modifying calls are serialised among themselves (a long train() delays a concurrent addClass()).
- setProgressCallback() must not race train(); the callback runs in the thread that calls train().
- read() replaces the whole state as one snapshot too.

@code
    using namespace cv::zsl;
    ClassPrototypes all = readPrototypesGBU("AWA2/att_splits.mat");
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create();        // ESZSL by default
    zsl->train(trainFeatures, trainLabels, all.subset(seenRows));       // labels index seen rows
    zsl->setUnseenClasses(all.subset(unseenRows));
    Mat labels, scores;
    zsl->predict(testFeatures, labels, scores, 5);                     // top-5 unseen classes
    zsl->save("awa2_eszsl.yml.gz");
@endcode
*/
class CV_EXPORTS_W ZeroShotClassifier : public Algorithm
{
public:
    /** @brief Compatibility functions. */
    enum Method
    {
        ESZSL = 0,      //!< Romera-Paredes & Torr, ICML 2015: closed-form bilinear, two ridge regularisers
        SAE = 1,        //!< Kodirov et al., CVPR 2017: semantic autoencoder, closed form via a Sylvester equation
        DEVISE = 2,     //!< Frome et al., NIPS 2013: linear map to the semantic space, hinge rank loss
        ALE = 3,        //!< Akata et al., TPAMI 2016: bilinear, weighted approximate ranking loss
        SJE = 4,        //!< Akata et al., CVPR 2015: bilinear, structured joint embedding (max-margin)
        MLP = 5,        //!< MLP regressor from features to the semantic space (MSE or cosine loss)
        CONSE = 6,      //!< Norouzi et al., ICLR 2014: convex combination of seen prototypes, training-free given a seen classifier
        GENERATIVE = 7, //!< feature-generating conditional VAE + softmax over seen and unseen classes (GZSL)
        /** Schoenfeld et al., CVPR 2019 (CADA-VAE): a VAE for features and one for prototypes share a latent
            space, aligned by cross-reconstruction (each decoder rebuilds its modality from the other's latent
            code) and by the 2-Wasserstein distance between the two posteriors; then a softmax classifier in the
            latent space on latents of real seen features + latents sampled from every other class's prototype.
            Loss per sample: L1 reconstructions + beta KL + gamma cross-L1 + delta Wasserstein, with the paper's
            warm-up schedules stretched to Params::epochs (the paper's 100 epochs give its schedule exactly):
            beta 0 -> 0.25 over epochs [0, 0.93 E], gamma 0 -> 2.37 over [0.21 E, 0.75 E], delta 0 -> 8.13 over
            [0.06 E, 0.22 E]. Paper defaults for the other settings (set them, they are not the generic
            defaults): epochs 100, batchSize 50, learningRate 1.5e-4, latentDim 64, hiddenSizes
            {1560, 1660, 1450, 665} (feature encoder, feature decoder, prototype encoder, prototype decoder; one
            width applies to all four), ReLU (leakyReluSlope 0), syntheticPerClass 400 (latents per unseen class;
            every real seen feature gives one latent). The latent classifier trains 23 epochs, Adam 1e-3,
            batch 32. Adam without AMSGrad (the authors' code uses AMSGrad); validationFraction is ignored. */
        CADA_VAE = 8,
        /** Xian et al., CVPR 2018 (f-CLSWGAN): a conditional WGAN with gradient penalty (lambda 10, 5 critic
            steps per generator step, Adam beta1 0.5) generates features from [noise, prototype]; the generator
            also minimises 0.01 x the cross-entropy of a softmax pre-trained on the real seen features; then a
            softmax over all classes on real seen + syntheticPerClass synthetic features of every other class.
            Generator and critic have one hidden layer of hiddenSizes[0] units (LeakyReLU 0.2); the generator
            ends with a ReLU when every training feature is non-negative (ReLU backbones, as the paper's
            ResNet-101 features). Noise size: latentDim (the paper: the prototype dimension). Paper defaults
            (set them): hiddenSizes {4096}, learningRate 1e-4, batchSize 64, epochs 30 (AwA), syntheticPerClass
            300 (CUB) to 1800 (AwA). Softmax classifiers: 25 epochs, Adam 1e-3, batch 64. validationFraction is
            ignored. */
        F_CLSWGAN = 9,
        /** Narayan et al., ECCV 2020 (TF-VAEGAN): f-VAEGAN - a conditional VAE whose encoder E(x, a) gives the
            latent z (latentDim) and whose decoder is the generator G(z, a), with a conditional WGAN-GP critic
            D(x, a) (lambda 10, 5 critic steps per generator step, fakes from encoded latents) - plus a semantic
            embedding decoder Dec(x) -> a trained with an L1 loss to the class prototype on real features and, as
            a cycle-consistency term of the generator's loss (weight 0.01), on generated ones; and a feedback
            module F: F(Dec's hidden activation of G(z, a)) x 1 is added to the generator's hidden layer in a
            second generator pass. Each epoch makes one pass over the data without feedback and one with it (the
            authors' code); synthesis uses the feedback. Generator loss: L1 reconstruction + KL + 10 x (-D(G))
            + 0.01 x L1(Dec(G), a). The final softmax over all classes works on the discriminative features
            [x, h(x), Dec(x)] (D + hiddenSizes[0] + A columns, h: Dec's hidden activation) of real seen +
            syntheticPerClass synthetic features of every other class, and of test features. Encoder, generator,
            critic, decoder and feedback module (two H x H layers) have one hidden layer of hiddenSizes[0] units
            (LeakyReLU 0.2); the generator ends with a ReLU when every training feature is non-negative. Adam
            (beta1 0.5; the encoder 0.9) at learningRate for every network. Loss weights are the authors' CUB
            configuration (AwA2: cycle 0.1, feedback 0.01). Paper defaults (set them): hiddenSizes {4096},
            latentDim = the prototype dimension, learningRate 1e-4 (CUB; AwA2 1e-5), batchSize 64, epochs 300
            (CUB; AwA2 120), syntheticPerClass 300 (CUB; AwA2 1800). Differences from the authors' code: an L1
            VAE reconstruction instead of the binary cross-entropy of [0, 1]-scaled features, a linear decoder
            output (no L2 normalisation), a fixed gradient-penalty weight. Softmax classifiers: 25 epochs, Adam
            1e-3, batch 64. validationFraction is ignored. */
        TF_VAEGAN = 10
    };

    /** @brief Which classes predict() chooses from. */
    enum Mode
    {
        MODE_ZSL = 0,   //!< unseen classes only
        MODE_GZSL = 1   //!< seen and unseen classes, with calibrated stacking
    };

    /** @brief SAE scoring direction. */
    enum SaeDirection
    {
        SAE_SEMANTIC_SPACE = 0, //!< encode features to the semantic space, compare with prototypes
        SAE_VISUAL_SPACE = 1    //!< decode prototypes to the visual space, compare with features
    };

    /** @brief Losses of the trainable models (MLP). */
    enum Loss
    {
        LOSS_MSE = 0,
        LOSS_COSINE = 1
    };

    /** @brief All hyper-parameters; each method reads the ones it needs. */
    struct CV_EXPORTS_W_SIMPLE Params
    {
        CV_WRAP Params();

        CV_PROP_RW int method;            //!< Method (default ESZSL)
        CV_PROP_RW int prototypeNormalization; //!< PrototypeNormalization applied to every prototype set (default none)
        CV_PROP_RW bool normalizeFeatures; //!< L2-normalise feature rows before use (default false)

        // ESZSL
        CV_PROP_RW double eszslGamma;     //!< ESZSL regulariser on the visual side (default 1)
        CV_PROP_RW double eszslLambda;    //!< ESZSL regulariser on the semantic side (default 1)
        // SAE
        CV_PROP_RW double saeLambda;      //!< SAE reconstruction weight (default 0.2)
        CV_PROP_RW int saeDirection;      //!< SaeDirection (default SAE_SEMANTIC_SPACE)

        // Iterative training (DeViSE, ALE, SJE, MLP, ConSE's softmax, GENERATIVE, CADA_VAE, F_CLSWGAN, TF_VAEGAN)
        CV_PROP_RW int epochs;            //!< maximum epochs (default 50)
        CV_PROP_RW int batchSize;         //!< minibatch size (default 64)
        CV_PROP_RW double learningRate;   //!< Adam step (default 1e-3)
        CV_PROP_RW double weightDecay;    //!< L2 penalty (default 0)
        CV_PROP_RW double margin;         //!< ranking margin for DeViSE/ALE/SJE (default 0.1 for DeViSE, 1 for ALE/SJE when <= 0)
        CV_PROP_RW std::vector<int> hiddenSizes; //!< hidden layer widths of the MLP / generator (default {1024}); CADA_VAE: 1 or 4 widths (see CADA_VAE); F_CLSWGAN, TF_VAEGAN: 1 width
        CV_PROP_RW double dropout;        //!< dropout probability in hidden layers (default 0)
        CV_PROP_RW double leakyReluSlope; //!< 0: ReLU; > 0: LeakyReLU slope (default 0)
        CV_PROP_RW int loss;              //!< Loss of the MLP (default LOSS_COSINE)
        CV_PROP_RW double validationFraction; //!< fraction of seen classes held out for early stopping (0: none)
        CV_PROP_RW int patience;          //!< early-stopping patience in epochs (default 5)
        CV_PROP_RW int conseTopT;         //!< ConSE: number T of most probable seen classes combined (default 10)
        CV_PROP_RW int latentDim;         //!< GENERATIVE, CADA_VAE, TF_VAEGAN: latent size; F_CLSWGAN: noise size (default 64)
        CV_PROP_RW int syntheticPerClass; //!< GENERATIVE, CADA_VAE, F_CLSWGAN, TF_VAEGAN: features (latents) synthesised per unseen class (default 200)
        /** Seed of every random choice (default 0x5EED). The same seed, data and thread count give
            bit-identical models in any process; in this implementation the thread count does not change
            results either (products are single BLAS calls, parallel loops split independent rows;
            measured in doc/reliability.md), but only "same thread count" is promised. */
        CV_PROP_RW uint64 seed;
    };

    /** @brief Creates an untrained classifier working on feature vectors. */
    CV_WRAP static Ptr<ZeroShotClassifier> create(const ZeroShotClassifier::Params& params = ZeroShotClassifier::Params());

    /** @brief Creates an untrained classifier that takes images through a visual encoder. */
    CV_WRAP static Ptr<ZeroShotClassifier> create(const ZeroShotClassifier::Params& params, const Ptr<VisualEncoder>& encoder);

    /** @brief Flags of load(). */
    enum LoadFlags
    {
        LOAD_DEFAULT = 0,
        LOAD_WITHOUT_ENCODER = 1 //!< ignore the stored backbone: the classifier takes features (setEncoder() may add one)
    };

    /** @brief Loads a classifier saved with save().
    @param filename the model file.
    @param backbonePath backbone file to use instead of the stored one (empty: the stored one). save()
    stores the backbone relative to the model file (and its absolute path), so a model and its backbone
    can be moved together; the lookup tries that relative path, then the absolute path, then the path as typed.
    @param flags LoadFlags.
    @param backend_id, target_id cv::dnn backend and target of the backbone (as VisualEncoder::create()).
    @throws cv::Exception on a missing, corrupt or foreign file, or a backbone that is not found
    (the message names the paths tried).
    */
    CV_WRAP static Ptr<ZeroShotClassifier> load(const String& filename, const String& backbonePath = String(),
                                                int flags = 0, int backend_id = 0, int target_id = 0);

    /** @brief Trains on seen classes.
    @param features N x D visual features (CV_32F or CV_64F), finite.
    @param labels N labels (CV_32S), each a row of `seen`.
    @param seen prototypes of the seen classes; they become the classifier's seen classes.
    Any unseen classes registered before are kept.
    */
    CV_WRAP virtual void train(InputArray features, InputArray labels, const ClassPrototypes& seen) = 0;

    /** @brief Trains from images through the visual encoder (same as encoding them, then train()). */
    CV_WRAP virtual void trainImages(InputArrayOfArrays images, InputArray labels, const ClassPrototypes& seen) = 0;

    /** @brief Replaces the unseen classes by `unseen` (names must not clash with seen classes). */
    CV_WRAP virtual void setUnseenClasses(const ClassPrototypes& unseen) = 0;

    /** @brief Adds one class at run time without retraining; returns its index in getClasses().
    @param name new, unique class name.
    @param prototype 1 x A vector of the prototype dimension.
    @param seen register it as a seen class (it then takes part only in GZSL mode).
    */
    CV_WRAP virtual int addClass(const String& name, InputArray prototype, bool seen = false) = 0;

    //! All classes (seen first, then unseen, in registration order).
    CV_WRAP virtual ClassPrototypes getClasses() const = 0;
    //! Number of seen classes: getClasses() rows [0, getNumSeenClasses()) are seen.
    CV_WRAP virtual int getNumSeenClasses() const = 0;

    CV_WRAP virtual void setMode(int mode) = 0;          //!< Mode
    CV_WRAP virtual int getMode() const = 0;
    /** @brief Calibrated stacking constant: subtracted from the scores of seen classes in GZSL mode. */
    CV_WRAP virtual void setCalibration(double gamma) = 0;
    CV_WRAP virtual double getCalibration() const = 0;

    /** @brief Labels features: top-K candidate classes, best first.
    @param features N x D features.
    @param labels N x K CV_32S indices into getClasses().
    @param scores N x K CV_32F scores (calibrated in GZSL mode); higher is better.
    @param topK K, 1 <= K <= number of candidates.
    */
    CV_WRAP virtual void predict(InputArray features, OutputArray labels, OutputArray scores, int topK = 1) const = 0;

    /** @brief Labels images through the visual encoder. */
    CV_WRAP virtual void predictImages(InputArrayOfArrays images, OutputArray labels, OutputArray scores, int topK = 1) const = 0;

    /** @brief Raw compatibility scores N x C with every class of getClasses() (no calibration, no candidate filter). */
    CV_WRAP virtual void computeScores(InputArray features, OutputArray scores) const = 0;

    /** @brief The image's predicted prototype (attribute or word vector), N x A CV_32F. */
    CV_WRAP virtual void predictAttributes(InputArray features, OutputArray attributes) const = 0;

    /** @brief Encodes images with the visual encoder. @throws cv::Exception when there is none. */
    CV_WRAP virtual void extractFeatures(InputArrayOfArrays images, OutputArray features) const = 0;

    /** @brief Sets a function called after every training epoch (progress bars, logging). Not thread-safe with train(). */
    virtual void setProgressCallback(const TrainingCallback& callback) = 0;

    CV_WRAP virtual bool isTrained() const = 0;
    CV_WRAP virtual ZeroShotClassifier::Params getParams() const = 0;
    CV_WRAP virtual Ptr<VisualEncoder> getEncoder() const = 0;
    CV_WRAP virtual void setEncoder(const Ptr<VisualEncoder>& encoder) = 0;

    /** @brief Saves to .yml, .yml.gz, .xml or .json through cv::FileStorage, atomically
    (a temporary file beside the target, then a rename), so a failure never leaves a half-written model. */
    CV_WRAP void save(const String& filename) const CV_OVERRIDE;
};

/** @brief Name of a Method value ("ESZSL", "SAE", ...). */
CV_EXPORTS_W String methodName(int method);
/** @brief Method value from its name (case-insensitive). @throws cv::Exception on an unknown name. */
CV_EXPORTS_W int methodFromName(const String& name);

//! @}

}} // namespace cv::zsl

#endif
