// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_METRICS_HPP
#define OPENCV_ZSL_METRICS_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl/class_hierarchy.hpp"

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Per-class mean top-1 accuracy, the field's metric: the mean over classes of each class's accuracy.
@param predicted N predicted labels (CV_32S), or an N x K top-K matrix whose first column is used.
@param truth N true labels (CV_32S).
@param perClass optional output: accuracy of every class present in `truth`, indexed by label
(labels absent from `truth` get -1).
Only classes present in `truth` are averaged.
*/
CV_EXPORTS_W double perClassAccuracy(InputArray predicted, InputArray truth,
                                     CV_OUT std::vector<double>& perClass);
//! @overload
CV_EXPORTS double perClassAccuracy(InputArray predicted, InputArray truth);

/** @brief Flat hit@k: fraction of samples whose true label is among the first k columns of `topK`.
@param topK N x K (K >= k) predicted labels, CV_32S, best first.
*/
CV_EXPORTS_W double hitAtK(InputArray topK, InputArray truth, int k);

/** @brief Per-class mean hit@k: hit@k averaged first within each class, then over classes. */
CV_EXPORTS_W double perClassHitAtK(InputArray topK, InputArray truth, int k);

/** @brief Generalised ZSL summary: per-class accuracy on seen and unseen test classes and their harmonic mean. */
struct CV_EXPORTS_W_SIMPLE GzslAccuracy
{
    //! All zero.
    CV_WRAP GzslAccuracy();

    CV_PROP_RW double seen;     //!< per-class mean top-1 over test samples of seen classes
    CV_PROP_RW double unseen;   //!< per-class mean top-1 over test samples of unseen classes
    CV_PROP_RW double harmonic; //!< H = 2 s u / (s + u) (0 when s + u = 0)
};

// Not member initialisers: OpenCV 4.x's Python header parser cannot read them (see EncoderPreprocessing).
inline GzslAccuracy::GzslAccuracy() : seen(0), unseen(0), harmonic(0) {}

/** @brief GZSL accuracies (Xian et al. 2018): predictions are over all classes, seen and unseen.
@param predicted N predicted labels over the joint label space.
@param truth N true labels over the same space.
@param seenMask one entry per label of the joint space, non-zero for seen classes.
*/
CV_EXPORTS_W GzslAccuracy evaluateGzsl(InputArray predicted, InputArray truth, const std::vector<uchar>& seenMask);

//! Harmonic mean 2su/(s+u) of two accuracies (0 when both are 0).
CV_EXPORTS_W double harmonicMean(double seen, double unseen);

/** @brief Confusion matrix C (numClasses x numClasses, CV_32S): C(t, p) counts samples of class t predicted as p. */
CV_EXPORTS_W void confusionMatrix(InputArray predicted, InputArray truth, int numClasses, OutputArray confusion);

/** @brief Hierarchical precision@k of DeViSE (Frome et al., NIPS 2013, appendix), used by ConSE (Norouzi et
al., ICLR 2014) on ImageNet: for every sample, the set of hierarchy-correct labels is grown around its true
label by hop radius R = 0, 1, 2, ... (ClassHierarchy::hopDistances over the whole hierarchy), keeping only
candidate labels, until it holds at least k labels; the sample scores |top-k predictions in that set| / k,
and the result is the mean over samples. The set of a radius is added whole, so it may exceed k. When the
true label's connected part of the hierarchy holds fewer than k candidates, the set is all of them.

Flat hit@k is hitAtK() with `truth` expressed as candidate indices.
@param hierarchy the label hierarchy (WordNet).
@param topK N x K predictions (CV_32S), best first: indices into `candidates`.
@param truth N true labels as hierarchy nodes (they need not be candidates).
@param candidates hierarchy nodes of the candidate labels (unique), the columns the predictions index.
@param ks the k to evaluate, each in [1, min(K, candidates.size())].
@return one precision per entry of `ks`.
@throws cv::Exception on k larger than the label set or than K, predictions outside the candidates, unknown
nodes, duplicate candidates, size mismatches.

Thread safety: reentrant (runs over cv::parallel_for_ internally); the hierarchy is only read.
*/
CV_EXPORTS_W std::vector<double> hierarchicalPrecisionAtK(const Ptr<ClassHierarchy>& hierarchy, InputArray topK,
                                                          InputArray truth, const std::vector<int>& candidates,
                                                          const std::vector<int>& ks);

//! @}

}} // namespace cv::zsl

#endif
