// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_CONSE_HPP
#define OPENCV_ZSL_CONSE_HPP

#include <opencv2/core.hpp>

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief ConSE embedding (Norouzi et al., "Zero-Shot Learning by Convex Combination of Semantic
Embeddings", ICLR 2014) from externally computed class probabilities.

For every row p of `probabilities`, with t_1..t_T the T most probable labels,
    f(p) = 1/Z sum_{t=1..T} p(t) s(t),   Z = sum_{t=1..T} p(t),
where s(t) is the prototype (e.g. word vector) of label t. The result is compared with candidate
prototypes by cosine similarity (conseScores()); ZeroShotClassifier::CONSE does the same with its own
softmax classifier over the seen classes.

@param probabilities N x K class probabilities (CV_32F or CV_64F; e.g. the softmax of a 1000-way ImageNet
head). Values must be finite and >= 0; rows need not sum to 1, only their top-T sum must be positive.
@param labelPrototypes K x A prototypes of the K labels, in the order of the probability columns.
@param embedding output N x A CV_32F.
@param topT T >= 1; values above K use all K labels. Ties in probability go to the lower label index.
@throws cv::Exception on empty input, a width mismatch, NaN/Inf, negative probabilities, T < 1, or a row
whose top-T probabilities sum to zero.

@code
    Mat probs = net.forward();                          // N x 1000 softmax outputs
    Mat emb, scores;
    cv::zsl::conseEmbedding(probs, imagenetWordVectors, emb, 10);
    cv::zsl::conseScores(emb, candidateWordVectors, scores);   // N x M cosine similarities
@endcode
*/
CV_EXPORTS_W void conseEmbedding(InputArray probabilities, InputArray labelPrototypes, OutputArray embedding, int topT = 10);

/** @brief Cosine similarity of every embedding row with every candidate prototype: the ConSE score.
@param embedding N x A (e.g. from conseEmbedding()).
@param candidatePrototypes M x A prototypes of the candidate (unseen) labels.
@param scores output N x M CV_32F; a zero row on either side scores 0.
*/
CV_EXPORTS_W void conseScores(InputArray embedding, InputArray candidatePrototypes, OutputArray scores);

//! @}

}} // namespace cv::zsl

#endif
