// This file is part of the opencv_zsl module (cv::zsl).
// Internal: the self-extending grid search behind selectHyperParamsOnGrid*(), with the scoring of a
// candidate abstracted away (tests drive it with synthetic objectives).
#ifndef OPENCV_ZSL_GRID_SEARCH_HPP
#define OPENCV_ZSL_GRID_SEARCH_HPP

#include "opencv2/zsl/model_selection.hpp"
#include <functional>

namespace cv {
namespace zsl {
namespace detail {

//! Held-out scores of one candidate, one per fold (higher is better); the same number for every candidate.
typedef std::function<std::vector<double>(const ZeroShotClassifier::Params&)> CandidateScorer;

/** Scores grid.expand(base), then extends the grid while the best candidate sits on an improving edge
    (HyperParamGrid's rules), at most grid.maxExtensions rounds; every candidate is scored once. */
ModelSelectionResult searchGrid(HyperParamGrid grid, const ZeroShotClassifier::Params& base, const CandidateScorer& score);

/** A short description of the hyper-parameters of a candidate ("ESZSL gamma=1 lambda=10", ...), for logs. */
String describeCandidate(const ZeroShotClassifier::Params& p);

}}} // namespace cv::zsl::detail

#endif
