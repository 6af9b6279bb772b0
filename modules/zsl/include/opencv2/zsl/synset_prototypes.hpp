// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_SYNSET_PROTOTYPES_HPP
#define OPENCV_ZSL_SYNSET_PROTOTYPES_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl/class_hierarchy.hpp"
#include "opencv2/zsl/prototypes.hpp"
#include "opencv2/zsl/word_vectors.hpp"

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Options of synsetPrototypes(). */
struct CV_EXPORTS_W_SIMPLE SynsetEmbeddingOptions
{
    //! Defaults: complete lemmas only, no gloss, uncovered synsets kept as zero rows, L2 normalisation.
    CV_WRAP SynsetEmbeddingOptions();

    /** A multi-word lemma whose words are not all in the vocabulary: false (default) skips the lemma,
        true averages its known words. */
    CV_PROP_RW bool partialLemmas;
    /** Weight of the gloss (mean of its known definition words, stop words dropped) added to the mean of
        the lemma vectors; 0 (default) ignores glosses. A synset with no known lemma but a known gloss word
        is covered by its gloss alone when the weight is > 0. */
    CV_PROP_RW double glossWeight;
    /** OOVPolicy for synsets with no vector at all: OOV_ERROR throws one exception listing them (the first
        10 and how many); OOV_SKIP_WORDS (default) leaves a zero row and reports it in `covered`. */
    CV_PROP_RW int oovPolicy;
    //! PrototypeNormalization of the result (zero rows stay zero).
    CV_PROP_RW int normalization;
};

// Defaults in the constructor: OpenCV 4.x's Python header parser cannot read member initialisers.
inline SynsetEmbeddingOptions::SynsetEmbeddingOptions()
    : partialLemmas(false), glossWeight(0), oovPolicy(OOV_SKIP_WORDS), normalization(PROTOTYPE_NORM_L2)
{
}

/** @brief Word-vector prototypes of hierarchy nodes (WordNet synsets, e.g. the 21K ImageNet classes), as
DeViSE and ConSE embed ImageNet labels: the mean over the synset's lemmas (ClassHierarchy::getNames) of the
lemma vectors.

A lemma's vector is the vocabulary word equal to the whole lemma when there is one (word2vec's phrase
tokens such as "German_shepherd"), otherwise the mean of its words (split on '_', and a hyphenated word
not in the vocabulary on '-'), see SynsetEmbeddingOptions::partialLemmas. Lookups fold case when the
vocabulary does (WordVectorsLoadOptions::caseFold).
@param vectors the word vectors.
@param hierarchy the hierarchy holding the synsets.
@param ids synset ids (rows of the result, names of the prototypes).
@param covered output: one entry per id, 1 when the synset got a vector.
@param options see SynsetEmbeddingOptions.
@return ClassPrototypes named by `ids`, ids.size() x vectors->dims() CV_32F.
@throws cv::Exception on null inputs, unknown or duplicate ids, or (OOV_ERROR) uncovered synsets.

Thread safety: reentrant; the vocabulary and the hierarchy are only read.
*/
CV_EXPORTS_W ClassPrototypes synsetPrototypes(const Ptr<WordVectors>& vectors, const Ptr<ClassHierarchy>& hierarchy,
                                              const std::vector<String>& ids, CV_OUT std::vector<uchar>& covered,
                                              const SynsetEmbeddingOptions& options = SynsetEmbeddingOptions());

//! @}

}} // namespace cv::zsl

#endif
