// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_MODEL_SELECTION_HPP
#define OPENCV_ZSL_MODEL_SELECTION_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl/metrics.hpp"
#include "opencv2/zsl/zero_shot_classifier.hpp"

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Values to try for the hyper-parameters, and how far the search may extend them.

expand() applies every combination of the listed values to a template; an empty list keeps the
template's value. The numeric lists are *axes* that selectHyperParamsOnGrid() and
selectHyperParamsOnGridKFold() extend while the best candidate sits on an edge of them:
- an axis with at least 2 values is extended beyond its smallest (largest) value when the best
  candidate takes that value and scores strictly higher than the same candidate with the axis at its
  neighbouring value (a plateau is not chased);
- the new value continues the spacing of the two outermost values: geometric when both are positive
  (0.1, 1, 10 -> 100), rounded for the integer axes (epochs, hiddenSize), never below 1 for those, and
  within the bounds of cv::zsl::bounds; an axis whose edge is 0 is not extended downwards;
- one *extension* is one round that adds a value at every edge where the best sits; at most
  `maxExtensions` rounds run (each logged with CV_LOG_INFO and reported in ModelSelectionResult).
saeDirection is categorical and never extended. A list with a single value is a fixed setting.
*/
struct CV_EXPORTS_W_SIMPLE HyperParamGrid
{
    //! Empty grid, maxExtensions 4.
    CV_WRAP HyperParamGrid();

    CV_PROP_RW std::vector<double> eszslGamma;   //!< values of Params::eszslGamma
    CV_PROP_RW std::vector<double> eszslLambda;  //!< values of Params::eszslLambda
    CV_PROP_RW std::vector<double> saeLambda;    //!< values of Params::saeLambda
    CV_PROP_RW std::vector<int> saeDirection;    //!< values of Params::saeDirection (categorical, never extended)
    CV_PROP_RW std::vector<int> epochs;          //!< values of Params::epochs
    CV_PROP_RW std::vector<double> learningRate; //!< values of Params::learningRate
    CV_PROP_RW std::vector<int> hiddenSize;      //!< widths h of a one-hidden-layer network: Params::hiddenSizes = {h}
    CV_PROP_RW int maxExtensions;                //!< at most this many extension rounds (default 4; 0: a fixed grid)

    /** @brief The candidates: `base` with every combination of the values, in the order of the lists
    (eszslGamma varies slowest, then eszslLambda, saeLambda, saeDirection, epochs, learningRate, hiddenSize). */
    CV_WRAP std::vector<ZeroShotClassifier::Params> expand(const ZeroShotClassifier::Params& base) const;

    /** @brief One extension round around `best` (a candidate of expand()): adds a value beyond every edge
    of an axis (with at least 2 values) that best takes, within the bounds; the values of every axis are
    sorted ascending first. The searches add the "strictly beats its neighbour" condition on top.
    @return the number of values added (0: the best is interior or every edge is at its bound).
    */
    CV_WRAP int extend(const ZeroShotClassifier::Params& best);
};

inline HyperParamGrid::HyperParamGrid()
    : maxExtensions(4)
{
}

/** @brief Outcome of a hyper-parameter search. */
struct CV_EXPORTS_W_SIMPLE ModelSelectionResult
{
    //! Empty result (bestIndex -1).
    CV_WRAP ModelSelectionResult();

    CV_PROP_RW ZeroShotClassifier::Params best; //!< the candidate with the highest mean score (first one on ties)
    CV_PROP_RW int bestIndex;              //!< its position in the candidate list
    CV_PROP_RW std::vector<double> scores;      //!< mean held-out score of each candidate, in candidate order
    CV_PROP_RW Mat foldScores;                  //!< candidates x folds CV_64F: score of each candidate on each split
    CV_PROP_RW std::vector<ZeroShotClassifier::Params> candidates; //!< the candidates scored, in order (the final grid's expansion)
    CV_PROP_RW int extensions;                  //!< extension rounds the grid search ran (0 for an explicit candidate list)
    CV_PROP_RW bool stoppedAtBound;             //!< the best still sat on an improving edge when maxExtensions ran out
};

// Defaults in the constructor: OpenCV 4.x's Python header parser cannot read member initialisers.
inline ModelSelectionResult::ModelSelectionResult()
    : bestIndex(-1), extensions(0), stoppedAtBound(false)
{
}

/** @brief Splits the classes of a labelled set into k class-disjoint folds.

Classes are shuffled with `seed` and dealt into `folds` groups of near-equal size; fold f holds out the
samples of group f (`valIndices[f]`) and trains on all the others (`trainIndices[f]`), so no class of a
fold's held-out part appears in its training part.
@param labels N class labels (CV_32S), in [0, numClasses).
@param numClasses number of classes C; every class must have samples.
@param folds k, 2 <= k <= C / 2 (each held-out part needs 2 classes to rank, each training part 2 classes).
@param seed seed of the class shuffle.
@param trainIndices k lists of sample indices (ascending).
@param valIndices k lists of sample indices (ascending).
*/
CV_EXPORTS void classDisjointFolds(InputArray labels, int numClasses, int folds, uint64 seed,
                                   std::vector<std::vector<int> >& trainIndices,
                                   std::vector<std::vector<int> >& valIndices);

/** @brief Chooses hyper-parameters on seen classes only, with an explicit class-disjoint split.

Each candidate is trained on the samples `trainIndices` (with the prototypes of their classes) and
scored in ZSL mode on `valIndices`, whose classes act as unseen: per-class mean top-1 over the held-out
classes. This is the protocol of Xian et al. (TPAMI 2018) with the GBU `train_loc` / `val_loc` split.
@param features N x D features of seen-class samples.
@param labels N labels, rows of `seen`.
@param seen prototypes of the seen classes.
@param candidates the settings to compare (see HyperParamGrid::expand()).
@param trainIndices sample indices to train on.
@param valIndices sample indices to evaluate on; their classes must not occur in `trainIndices`.
@throws cv::Exception on empty sets, indices out of range, or a class present in both sets.
*/
CV_EXPORTS_W ModelSelectionResult selectHyperParams(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                                    const std::vector<ZeroShotClassifier::Params>& candidates,
                                                    InputArray trainIndices, InputArray valIndices);

/** @brief Chooses hyper-parameters by k-fold cross-validation over seen classes (see classDisjointFolds()).
The score of a candidate is its mean over the folds.
*/
CV_EXPORTS_W ModelSelectionResult selectHyperParamsKFold(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                                         const std::vector<ZeroShotClassifier::Params>& candidates,
                                                         int folds = 3, uint64 seed = 0x5EED);

/** @brief Grid search that extends its grid while the best value sits on an edge (see HyperParamGrid),
with an explicit class-disjoint split (as selectHyperParams()).

Every candidate is scored once (a value kept by a later round is not retrained). The result's
candidates, scores and foldScores cover the final grid; best is the first candidate with the highest score.
Only the rows listed in `trainIndices` and `valIndices` are read.
@param features N x D features of seen-class samples.
@param labels N labels, rows of `seen`.
@param seen prototypes of the seen classes.
@param grid the initial grid and its extension bound.
@param base template of every candidate (method and fixed settings).
@param trainIndices sample indices to train on.
@param valIndices sample indices to evaluate on; their classes must not occur in `trainIndices`.
*/
CV_EXPORTS_W ModelSelectionResult selectHyperParamsOnGrid(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                                          const HyperParamGrid& grid, const ZeroShotClassifier::Params& base,
                                                          InputArray trainIndices, InputArray valIndices);

/** @brief Same search with k class-disjoint folds of the seen classes (classDisjointFolds(); score: mean over folds). */
CV_EXPORTS_W ModelSelectionResult selectHyperParamsOnGridKFold(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                                               const HyperParamGrid& grid, const ZeroShotClassifier::Params& base,
                                                               int folds = 3, uint64 seed = 0x5EED);

/** @brief Calibrated-stacking constant that maximises the GZSL harmonic mean on a validation set.

With raw scores s(x, c) the GZSL prediction is argmax_c s(x, c) - gamma [c is seen] (ties to the lower
index, as ZeroShotClassifier::predict()). H is piecewise constant in gamma; every interval is examined
exactly and the midpoint of the best one is returned.
@param scores N x C raw scores (ZeroShotClassifier::computeScores()), seen classes in columns [0, numSeen).
@param labels N true labels in [0, C).
@param numSeen number of seen classes, 1 <= numSeen < C.
@param accuracy GZSL accuracies at the returned constant.
@return gamma, to pass to ZeroShotClassifier::setCalibration().
*/
CV_EXPORTS_W double selectCalibrationFromScores(InputArray scores, InputArray labels, int numSeen,
                                                CV_OUT GzslAccuracy& accuracy);

/** @brief Same as selectCalibrationFromScores() on the scores of a trained classifier.
@param classifier trained classifier with seen and unseen classes; it is not modified.
@param features N x D validation features, from seen and unseen classes.
@param labels N labels indexing classifier->getClasses().
@param accuracy GZSL accuracies at the returned constant.
*/
CV_EXPORTS_W double selectCalibration(const Ptr<ZeroShotClassifier>& classifier, InputArray features, InputArray labels,
                                      CV_OUT GzslAccuracy& accuracy);

//! @}

}} // namespace cv::zsl

#endif
