// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_GALLERY_INDEX_HPP
#define OPENCV_ZSL_GALLERY_INDEX_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl/visual_encoder.hpp"

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Parameters of the approximate search structure of a GalleryIndex (FLANN kd-trees or k-means, or
an HNSW graph). */
struct CV_EXPORTS_W_SIMPLE GalleryANNParams
{
    //! Defaults: algorithm 0 (kd-trees), 4 trees, branching 32, 7 k-means iterations, 2048 checks, seed 0, 32 PCA dims, rerank 10,
    //! HNSW M 16, HNSW efConstruction 200.
    CV_WRAP GalleryANNParams();

    //! Search structure (see GalleryIndex::ANNAlgorithm).
    CV_PROP_RW int algorithm;
    CV_PROP_RW int trees;         //!< randomized kd-trees (ANN_KDTREE)
    CV_PROP_RW int branching;    //!< children per node (ANN_KMEANS)
    CV_PROP_RW int kmeansIterations; //!< k-means iterations per node (ANN_KMEANS)
    /** Leaves (kd-trees) or points (k-means) examined per query, or, for ANN_HNSW, the size of the
        search's candidate list (hnswlib's ef; at least k is used): the speed/recall knob; can be
        changed after building with GalleryIndex::setChecks(). The default (2048) gives recall@10 ~0.97 on
        2M x 300 embedding-like vectors with kd-trees; HNSW needs far fewer (tens to a few hundred,
        doc/benchmarks.md). */
    CV_PROP_RW int checks;
    CV_PROP_RW int seed;          //!< random seed of the build (deterministic for a fixed seed; default 0)
    /** FLANN indexes the vectors projected on this many principal components (0, or >= the dimension:
        no projection). kd-trees split along coordinate axes: on PCA axes they find neighbours with
        far fewer checks, and 32 components hold most of the variance of typical embeddings. */
    CV_PROP_RW int pcaDims;
    /** rerank * k candidates of the approximate search are re-scored exactly (full vectors) and the
        best k kept; 1: FLANN's order as is. ANN_HNSW ignores pcaDims and rerank: its graph holds the
        full vectors and its distances are exact (raise checks for recall instead). */
    CV_PROP_RW int rerank;
    /** ANN_HNSW: links per node of the graph (hnswlib's M; layer 0 has 2 M). More: higher recall at a
        given checks, more memory (about 8 M bytes per vector) and a slower build. */
    CV_PROP_RW int hnswM;
    /** ANN_HNSW: candidate list size while inserting (hnswlib's ef_construction): build time vs graph quality. */
    CV_PROP_RW int hnswEfConstruction;
};

// Defaults in the constructor: OpenCV 4.x's Python header parser cannot read member initialisers.
inline GalleryANNParams::GalleryANNParams()
    : algorithm(0), trees(4), branching(32), kmeansIterations(7), checks(2048), seed(0), pcaDims(32), rerank(10),
      hnswM(16), hnswEfConstruction(200)
{
}

/** @brief A searchable set of feature vectors (images of a gallery, word embeddings of images, ...)
under cosine similarity.

Rows are L2-normalised once when added. Search is exact or approximate. Exact search answers
batches by matrix products over blocks of the gallery, in parallel; a few queries (up to 16) over a
gallery of 65,536 rows or more go through 4-bit codes of the rows with certified error bounds
(built on the first such query, +28% of the gallery's memory, ~1 s per 2M x 300): rows that cannot
reach the top k are skipped and the others re-scored in float, so the answer is still exact while a
query reads an eighth of the bytes (2M x 300: ~14 ms instead of ~190 ms). Approximate search goes
through OpenCV's FLANN (randomized kd-trees or hierarchical k-means on the normalised vectors, where
the L2 order equals the cosine order, optionally projected on their principal components, with an
exact re-ranking of the candidates; built in seconds) or through an HNSW graph (ANN_HNSW, hnswlib:
several times fewer ms per query at the same recall, built once in minutes per 100k rows on one
thread, then saved, loaded and grown with the index), for galleries of millions of vectors.

It serves the three open-vocabulary queries of the module (see predictWords / searchByWords in
opencv2/zsl/open_vocabulary.hpp): image -> similar gallery images (a gallery of visual features),
words -> images (a gallery of semantic embeddings predicted by a ZeroShotClassifier).
@code
    Ptr<cv::zsl::GalleryIndex> gallery = cv::zsl::GalleryIndex::create(features, imagePaths);
    gallery->buildApproximate();                       // optional, for >= 100k vectors
    Mat idx, sim;
    gallery->search(queryFeatures, 10, idx, sim, cv::zsl::GalleryIndex::SEARCH_APPROXIMATE);
    gallery->save("gallery.zslidx");
@endcode

Thread safety: the const members (search, save, size, dims, getIds, getVectors, getANNParams,
hasApproximate) may run concurrently from any number of threads. add(), buildApproximate() and
setChecks() change the index: they must not run concurrently with any other call on the same object
(share a built index read-only, or guard it with a reader/writer lock).
*/
class CV_EXPORTS_W GalleryIndex
{
public:
    virtual ~GalleryIndex();

    //! How search() finds neighbours.
    enum SearchMode
    {
        SEARCH_EXACT = 0,      //!< brute force, exact
        SEARCH_APPROXIMATE = 1 //!< through the FLANN structure (buildApproximate() first)
    };
    //! FLANN structure built by buildApproximate().
    enum ANNAlgorithm
    {
        ANN_KDTREE = 0, //!< randomized kd-trees (Silpa-Anan & Hartley 2008), OpenCV's FLANN
        ANN_KMEANS = 1, //!< hierarchical k-means tree (Muja & Lowe 2009), OpenCV's FLANN
        /** Hierarchical navigable small-world graph (Malkov & Yashunin 2018) through hnswlib, on inner
            products of the normalised vectors: 5-7x fewer ms per query than kd-trees at recall@10 0.95+,
            for a build 10-100x slower (doc/benchmarks.md). Built by inserting the rows in order on one
            thread, so the graph is the same for the same data and seed; save() writes the graph and
            load() reads it back (no rebuild), add() inserts new rows into it. Needs opencv_zsl built with
            hnswlib (Debian libhnswlib-dev); otherwise buildApproximate() throws StsNotImplemented. */
        ANN_HNSW = 2
    };

    /** @brief Creates an index over feature vectors.
    @param features N x D matrix (any float or integer depth), finite values, one item per row.
    @param ids optional names of the items (file names, say); empty: "0", "1", ...
    */
    CV_WRAP static Ptr<GalleryIndex> create(InputArray features, const std::vector<String>& ids = std::vector<String>());

    /** @brief Creates an index over images through a visual encoder (features of encoder->encode()). */
    CV_WRAP static Ptr<GalleryIndex> createFromImages(const Ptr<VisualEncoder>& encoder, InputArrayOfArrays images,
                                                      const std::vector<String>& ids = std::vector<String>());

    /** @brief Loads an index written by save().
    An ANN_HNSW graph is read back in the module's own layout, every link checked before the graph is
    searched (a neighbour id beyond the rows, a list longer than the graph's M, a link to a level its
    target is not on: a cv::Exception), so loading costs a read, not a build (200k x 300: seconds instead
    of minutes). A graph whose element levels are not the ones this build's hnswlib draws for the seed
    (saved by another hnswlib or C++ library), and HNSW files of format version 2, are rebuilt from their
    parameters, with a warning. The FLANN structures are always rebuilt from their saved parameters
    (deterministic for their seed: the structure that was saved), so FLANN never parses bytes from the
    file (its readers trust their input); loading those takes their build time (about a second per 200k
    rows).
    @throws cv::Exception on a missing, foreign, truncated or inconsistent file (checked before allocating).
    */
    CV_WRAP static Ptr<GalleryIndex> load(const String& filename);

    /** @brief Writes the index (ids, normalised vectors and, when built, the approximate structure: an ANN_HNSW
    graph itself, about 8 M bytes per row; FLANN's parameters) in a compact binary form with a versioned
    header and CRCs, atomically (temporary file + rename). */
    CV_WRAP virtual void save(const String& filename) const = 0;

    /** @brief Appends items. An ANN_HNSW graph grows with them (inserted in row order: the graph that
    buildApproximate() over all rows would give, at the cost of inserting only the new rows); a FLANN
    structure is dropped (call buildApproximate() again). */
    CV_WRAP virtual void add(InputArray features, const std::vector<String>& ids = std::vector<String>()) = 0;

    /** @brief Builds the approximate search structure (replaces any previous one). */
    CV_WRAP virtual void buildApproximate(const GalleryANNParams& params = GalleryANNParams()) = 0;
    //! Whether buildApproximate() (or load()) provided an approximate structure.
    CV_WRAP virtual bool hasApproximate() const = 0;
    //! Changes the number of checks of approximate searches (more: higher recall, slower).
    CV_WRAP virtual void setChecks(int checks) = 0;
    CV_WRAP virtual GalleryANNParams getANNParams() const = 0;

    /** @brief The k most similar items (cosine) of each query, best first.
    @param queries Q x D matrix (one query per row; normalised internally).
    @param k neighbours per query (clamped to size()).
    @param indices Q x k CV_32S item rows.
    @param similarities Q x k CV_32F cosine similarities.
    @param mode SearchMode.
    */
    CV_WRAP virtual void search(InputArray queries, int k, OutputArray indices, OutputArray similarities,
                                int mode = GalleryIndex::SEARCH_EXACT) const = 0;

    //! Number of items N.
    CV_WRAP virtual int size() const = 0;
    //! Vector dimension D.
    CV_WRAP virtual int dims() const = 0;
    //! Item ids in row order.
    CV_WRAP virtual std::vector<String> getIds() const = 0;
    //! Normalised vectors N x D CV_32F (shared data: do not modify).
    CV_WRAP virtual Mat getVectors() const = 0;
};

/** @brief Recall@k of approximate neighbours against exact ones: the mean over queries of
|approx_i ∩ exact_i| / k, where both are Q x k CV_32S index matrices (rows of the same gallery). */
CV_EXPORTS_W double recallAtK(InputArray approximate, InputArray exact);

//! @}

}} // namespace cv::zsl

#endif
