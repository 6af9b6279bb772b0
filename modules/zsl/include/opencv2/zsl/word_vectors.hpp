// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_WORD_VECTORS_HPP
#define OPENCV_ZSL_WORD_VECTORS_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl/prototypes.hpp"

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief On-disk formats of pre-trained word vectors. */
enum WordVectorFormat
{
    WORDVEC_AUTO = 0,            //!< guess: `.bin` -> word2vec binary; a first line of two integers -> text with header; otherwise GloVe
    WORDVEC_WORD2VEC_BINARY = 1, //!< word2vec binary: "count dim\n", then per word "word " + dim little-endian float32 (+ optional '\n')
    WORDVEC_TEXT = 2,            //!< word2vec / fastText text (`.vec`): "count dim" header line, then "word v1 ... vdim" lines
    WORDVEC_GLOVE = 3            //!< GloVe text: no header, "word v1 ... vdim" lines, dim taken from the first line
};

/** @brief What lookups do with words missing from the vocabulary. */
enum OOVPolicy
{
    OOV_ERROR = 0,     //!< throw one cv::Exception that lists every missing word (and the label it came from)
    OOV_SKIP_WORDS = 1 //!< average only the known words of a label; a label with no known word still throws (listing them all)
};

/** @brief Options of WordVectors::load. */
struct CV_EXPORTS_W_SIMPLE WordVectorsLoadOptions
{
    //! Defaults: auto-detected format, all words, case kept, no limit.
    CV_WRAP WordVectorsLoadOptions();

    CV_PROP_RW int format; //!< WordVectorFormat
    /** Keep only these words (memory grows with the kept words, not with the file). Entries are
        split like labels ("german+shepherd" keeps "german" and "shepherd"); empty: keep all. */
    CV_PROP_RW std::vector<String> vocabulary;
    /** Lower-case (ASCII) the words of the file and of every query. When two words fold to the same
        key the first one in the file wins (word2vec/fastText files are sorted by frequency). */
    CV_PROP_RW bool caseFold;
    //! Stop after this many words of the file (0: no limit), as word2vec's "limit" argument.
    CV_PROP_RW int maxWords;
};

// Defaults in the constructor: OpenCV 4.x's Python header parser cannot read member initialisers.
inline WordVectorsLoadOptions::WordVectorsLoadOptions()
    : format(WORDVEC_AUTO), caseFold(false), maxWords(0)
{
}

/** @brief A vocabulary of pre-trained word vectors (word2vec, fastText, GloVe) and the class
prototypes built from it (Frome et al. "DeViSE", Norouzi et al. "ConSE" use such label embeddings).

Files are parsed as a stream (large buffered reads, `std::from_chars`, lines parsed in parallel), so
memory stays close to the size of the kept float vectors; headers claiming more words or dimensions
than the file can hold are rejected before anything is allocated, and malformed or truncated lines
raise a cv::Exception naming the file and the line.

Multi-word labels (`german+shepherd`, `killer_whale`, `sea lion`) are split on '+', '_' and spaces
and their word vectors averaged.
@code
    cv::zsl::WordVectorsLoadOptions opt;
    opt.vocabulary = classNames;      // only the words needed
    opt.caseFold = true;
    Ptr<cv::zsl::WordVectors> wv = cv::zsl::WordVectors::load("wiki.en.vec", opt);
    cv::zsl::ClassPrototypes protos = wv->prototypes(classNames);   // throws listing any OOV word
@endcode
*/
class CV_EXPORTS_W WordVectors
{
public:
    virtual ~WordVectors();

    /** @brief Loads word vectors from a file (see WordVectorFormat).
    @throws cv::Exception (file and line) on a missing file, a hostile or malformed header, a
    malformed, short, long or truncated line, non-finite values, duplicate words (unless case folding
    merges them).
    */
    CV_WRAP static Ptr<WordVectors> load(const String& filename,
                                         const WordVectorsLoadOptions& options = WordVectorsLoadOptions());

    /** @brief Builds a vocabulary from memory.
    @param words one unique, non-empty word per row (no whitespace).
    @param vectors N x D matrix (any depth, stored as CV_32F), finite values.
    @param caseFold lower-case words and queries (see WordVectorsLoadOptions::caseFold).
    */
    CV_WRAP static Ptr<WordVectors> create(const std::vector<String>& words, InputArray vectors, bool caseFold = false);

    //! Number of words.
    CV_WRAP virtual int size() const = 0;
    //! Vector dimension D.
    CV_WRAP virtual int dims() const = 0;
    //! Whether words and queries are case folded.
    CV_WRAP virtual bool getCaseFold() const = 0;
    //! Words, in row order (as stored: folded when case folding is on).
    CV_WRAP virtual std::vector<String> getWords() const = 0;
    //! Word at row i. @throws cv::Exception when i is out of range.
    CV_WRAP virtual String getWord(int i) const = 0;
    //! N x D CV_32F matrix, row i for getWord(i); shares the data (clone() before modifying it).
    CV_WRAP virtual Mat getVectors() const = 0;
    //! Row of `word` (folded first when case folding is on), or -1.
    CV_WRAP virtual int indexOf(const String& word) const = 0;

    /** @brief Splits a label into words on '+', '_' and whitespace ("german+shepherd" -> {"german", "shepherd"}).
    Empty pieces are dropped. */
    CV_WRAP static std::vector<String> splitLabel(const String& label);

    /** @brief Words of `labels` missing from the vocabulary (after splitting and folding), each once, in order. */
    CV_WRAP virtual std::vector<String> missingWords(const std::vector<String>& labels) const = 0;

    /** @brief Embeds labels: row i is the mean of the word vectors of splitLabel(labels[i]).
    @param labels one label per output row.
    @param vectors L x D CV_32F output.
    @param oovPolicy OOVPolicy; with OOV_ERROR a single exception lists every missing word.
    */
    CV_WRAP virtual void lookup(const std::vector<String>& labels, OutputArray vectors, int oovPolicy = OOV_ERROR) const = 0;

    /** @brief Class prototypes from class names: names kept as given, vectors from lookup().
    @param classNames unique class names ("zebra", "grizzly+bear", ...).
    @param oovPolicy OOVPolicy.
    @param normalization PrototypeNormalization applied to the result (word vectors are usually L2-normalised).
    */
    CV_WRAP virtual ClassPrototypes prototypes(const std::vector<String>& classNames, int oovPolicy = OOV_ERROR,
                                               int normalization = PROTOTYPE_NORM_L2) const = 0;

    /** @brief The k vocabulary words closest (cosine) to each query vector, best first.

    Exact. As GalleryIndex::search, a few queries over a vocabulary of 65,536 words or more use
    certified 4-bit codes of the vectors, built on the first such call (+28% memory).
    @param queries Q x D matrix (any float depth).
    @param k number of words per query (clamped to size()).
    @param indices Q x k CV_32S rows of the vocabulary.
    @param similarities Q x k CV_32F cosine similarities.
    */
    CV_WRAP virtual void nearestWords(InputArray queries, int k, OutputArray indices, OutputArray similarities) const = 0;

    /** @brief Writes the vocabulary as word2vec text (WORDVEC_TEXT) or binary (WORDVEC_WORD2VEC_BINARY),
    atomically (temporary file + rename). */
    CV_WRAP virtual void save(const String& filename, int format = WORDVEC_TEXT) const = 0;
};

//! @}

}} // namespace cv::zsl

#endif
