// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_OPEN_VOCABULARY_HPP
#define OPENCV_ZSL_OPEN_VOCABULARY_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl/gallery_index.hpp"
#include "opencv2/zsl/word_vectors.hpp"
#include "opencv2/zsl/zero_shot_classifier.hpp"

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Open-vocabulary labelling: the k words of a whole vocabulary closest (cosine) to the
semantic embeddings that a trained classifier predicts for the features.

The classifier must have been trained with prototypes from the same word vectors (see
WordVectors::prototypes), so that predictAttributes() lands in their space.
@param model trained ZeroShotClassifier (DeViSE, ESZSL, ... on word-vector prototypes).
@param features N x F visual features.
@param vocabulary word vectors of dimension model->getClasses().dims().
@param k words per image.
@param indices N x k CV_32S rows of `vocabulary` (names via WordVectors::getWord).
@param similarities N x k CV_32F cosine similarities, best first.
*/
CV_EXPORTS_W void predictWords(const Ptr<ZeroShotClassifier>& model, InputArray features,
                               const Ptr<WordVectors>& vocabulary, int k,
                               OutputArray indices, OutputArray similarities);

/** @brief Builds a gallery of semantic embeddings (model->predictAttributes(features)) that words can query. */
CV_EXPORTS_W Ptr<GalleryIndex> createSemanticGallery(const Ptr<ZeroShotClassifier>& model, InputArray features,
                                                     const std::vector<String>& ids = std::vector<String>());

/** @brief Word(s) -> images: the k gallery items closest to the embedding of each label
("zebra", "killer+whale", ...; multi-word labels are averaged, see WordVectors::lookup).
@param gallery a semantic gallery (createSemanticGallery) of dimension vocabulary->dims().
@param vocabulary word vectors.
@param labels one query per label.
@param k items per label.
@param indices L x k CV_32S gallery rows; @param similarities L x k CV_32F.
@param oovPolicy OOVPolicy for words missing from the vocabulary.
@param mode GalleryIndex::SearchMode.
*/
CV_EXPORTS_W void searchByWords(const Ptr<GalleryIndex>& gallery, const Ptr<WordVectors>& vocabulary,
                                const std::vector<String>& labels, int k,
                                OutputArray indices, OutputArray similarities,
                                int oovPolicy = OOV_ERROR, int mode = GalleryIndex::SEARCH_EXACT);

//! @}

}} // namespace cv::zsl

#endif
