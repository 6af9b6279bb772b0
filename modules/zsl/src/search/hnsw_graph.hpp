// This file is part of the opencv_zsl module (cv::zsl).
// HNSW graph of a gallery (hnswlib), with its own checked serialisation.
#ifndef OPENCV_ZSL_SRC_SEARCH_HNSW_GRAPH_HPP
#define OPENCV_ZSL_SRC_SEARCH_HNSW_GRAPH_HPP

#include <opencv2/core.hpp>
#include <functional>
#include <memory>
#include <string>

namespace cv {
namespace zsl {
namespace detail {

/** Hierarchical navigable small-world graph over L2-normalised CV_32F rows (inner-product distance),
through hnswlib. Rows are inserted in order on one thread, so the graph depends only on the rows, M,
efConstruction and the seed: a graph extended by add() equals one built from all its rows at once,
and a restored graph equals the one serialised (and grows on add() as that one would).

Thread safety: search() and serialize() may run concurrently; add() and setEf() must not run with
any other call. */
class HnswGraph
{
public:
    //! Whether this build has hnswlib (otherwise the constructor throws StsNotImplemented).
    static bool available();

    HnswGraph(int dims, int M, int efConstruction, int seed);
    ~HnswGraph();

    //! Appends `rows` (CV_32F, continuous, dims() columns) as elements size() .. size() + rows.rows - 1.
    void add(const Mat& rows);
    void setEf(int ef);
    int size() const;
    int dims() const;

    /** k nearest elements of each query row: idx (CV_32S, -1 where fewer were reached) and cosine
    similarities (CV_32F, -FLT_MAX there), best first, ties by lower row. */
    void search(const Mat& queries, int k, Mat& idx, Mat& sim) const;

    /** The graph's links, level by level for every element: what restore() needs besides the rows and
    the construction parameters. */
    std::string serialize() const;

    /** The graph serialised from `rows` with these parameters. Every level, count and neighbour is
    checked (a neighbour listed on level l must exist on level l, ids below the row count, counts within
    the graph's bounds, the entry point and top level those of the insertion order) before hnswlib
    walks the graph; `bad(what)` is called on a malformed blob and must throw. Returns null when the
    blob is well formed but its element levels are not the ones the seed draws here (written by another
    hnswlib or C++ library): the caller rebuilds. */
    static std::unique_ptr<HnswGraph> restore(const std::string& blob, const Mat& rows, int M, int efConstruction,
                                              int seed, const std::function<void(const std::string&)>& bad);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}}} // namespace cv::zsl::detail

#endif
