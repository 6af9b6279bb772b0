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

/** @brief Values to try for the hyper-parameters of the closed-form methods.

expand() applies every combination of the listed values to a template; an empty list keeps the
template's value. Methods with other hyper-parameters take an explicit list of Params instead.
*/
struct CV_EXPORTS_W_SIMPLE HyperParamGrid
{
    CV_PROP_RW std::vector<double> eszslGamma;  //!< values of Params::eszslGamma
    CV_PROP_RW std::vector<double> eszslLambda; //!< values of Params::eszslLambda
    CV_PROP_RW std::vector<double> saeLambda;   //!< values of Params::saeLambda

    /** @brief The candidates: `base` with every combination of the values (gamma varies slowest). */
    CV_WRAP std::vector<ZeroShotClassifier::Params> expand(const ZeroShotClassifier::Params& base) const;
};

/** @brief Outcome of a hyper-parameter search. */
struct CV_EXPORTS_W_SIMPLE ModelSelectionResult
{
    CV_PROP_RW ZeroShotClassifier::Params best; //!< the candidate with the highest mean score (first one on ties)
    CV_PROP_RW int bestIndex = -1;              //!< its position in the candidate list
    CV_PROP_RW std::vector<double> scores;      //!< mean held-out score of each candidate, in candidate order
    CV_PROP_RW Mat foldScores;                  //!< candidates x folds CV_64F: score of each candidate on each split
};

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
