// This file is part of the opencv_zsl module (cv::zsl).
// Internal training engine, part 4: the epoch loop (minibatches, class-disjoint validation split,
// early stopping, progress callback) and the small data helpers it needs.
//
// Interface contract (stable): a trainable CompatibilityModel
//  1. splits its seen classes with splitClasses(labels, C, params.validationFraction, rng),
//  2. calls runEpochs() with a step function (one minibatch: forward, loss, backward, optimizer step;
//     returns the batch's mean loss) and, when the split holds classes out, a validate function that
//     returns the per-class top-1 on the held-out classes by the model's own scoring (perClassTop1()),
//     plus saveBest/restoreBest to keep the best epoch's weights,
//  3. runEpochs() reports TrainingProgress once per epoch and stops after `patience` epochs without
//     a better validation accuracy, then restores the best weights.
// Every random choice goes through the one Rng passed in, so a fixed seed gives bit-identical models.
#ifndef OPENCV_ZSL_NN_TRAINING_HPP
#define OPENCV_ZSL_NN_TRAINING_HPP

#include "opencv2/zsl/zero_shot_classifier.hpp"
#include "nn/nn_layers.hpp"
#include <functional>

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

/** Class-disjoint split of the seen classes into training and validation classes. */
struct ClassSplit
{
    std::vector<int> trainClasses, valClasses; //!< original class ids, ascending
    std::vector<int> trainRows, valRows;       //!< rows of the data, ascending
    std::vector<int> trainLabels, valLabels;   //!< per row: index into trainClasses / valClasses
    bool hasValidation() const { return !valClasses.empty(); }
};

/** Holds out round(fraction * C) of the classes present in labels (at least 2 when fraction > 0) for
    validation, chosen by rng; at least 2 classes stay for training. fraction == 0: no validation.
    Throws cv::Exception when the split is impossible (fewer than 4 classes with fraction > 0). */
ClassSplit splitClasses(const std::vector<int>& labels, int numClasses, double fraction, Rng& rng);

/** out = m.rows(rows) (resizes out). */
void gatherRows(const RowRefXf& m, const int* rows, int n, RowMatrixXf& out);
RowMatrixXf gatherRows(const RowRefXf& m, const std::vector<int>& rows);
std::vector<int> gatherLabels(const std::vector<int>& labels, const int* rows, int n);

/** Per-class mean top-1 accuracy of argmax(scores row) against labels (ties: lowest column). */
double perClassTop1(const RowMatrixXf& scores, const std::vector<int>& labels);

/** Cosine similarity of every row of A with every row of B (rows(A) x rows(B)); zero rows give 0. */
RowMatrixXf cosineSimilarity(const RowMatrixXf& A, const RowMatrixXf& B);

struct EpochOptions
{
    int epochs = 50;
    int batchSize = 64;
    int patience = 5;    //!< epochs without improvement before stopping (with validation only)
    bool shuffle = true; //!< reshuffle the rows every epoch
};

struct EpochFunctions
{
    //! Required: one minibatch (row indices into the training rows); returns its mean loss.
    std::function<double(const int* rows, int n)> step;
    //! Optional: validation accuracy after an epoch (higher is better); enables early stopping.
    std::function<double()> validate;
    //! Required with validate: keep / bring back the best epoch's weights.
    std::function<void()> saveBest, restoreBest;
};

/** Result of runEpochs(). */
struct EpochSummary
{
    int epochsRun = 0;
    int bestEpoch = 0;           //!< 1-based; the last epoch without validation
    double bestValidation = -1;  //!< -1 without validation
    double lastLoss = 0;
};

/** Trains for up to options.epochs epochs over rows [0, numRows) in minibatches of options.batchSize
    (the last one may be smaller), shuffled by rng. Calls progress once per epoch when set.
    Throws cv::Exception when a loss becomes non-finite (names the epoch). */
EpochSummary runEpochs(int numRows, const EpochOptions& options, Rng& rng, const EpochFunctions& fn,
                       const TrainingCallback& progress);

/** EpochOptions from the classifier parameters (epochs, batchSize, patience). */
EpochOptions epochOptionsFrom(const ZeroShotClassifier::Params& params);

}}}} // namespace cv::zsl::detail::nn

#endif
