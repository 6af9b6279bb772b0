// This file is part of the opencv_zsl module (cv::zsl).
// Internal: exact top-k inner-product search shared by WordVectors::nearestWords and GalleryIndex.
#ifndef OPENCV_ZSL_COSINE_SEARCH_HPP
#define OPENCV_ZSL_COSINE_SEARCH_HPP

#include <opencv2/core.hpp>
#include <algorithm>
#include <cfloat>
#include <vector>
#include "search/quantized_search.hpp"

namespace cv {
namespace zsl {
namespace detail {

//! A scored row of a search.
struct Hit
{
    float score;
    int index;
};

//! "a ranks before b": higher score, then lower index (the deterministic tie rule of every search).
inline bool better(const Hit& a, const Hit& b)
{
    return a.score > b.score || (a.score == b.score && a.index < b.index);
}

//! Keeps the k best hits pushed so far (in any order) in a heap whose top is the worst kept hit.
struct TopK
{
    explicit TopK(int k_) : k(k_) { heap.reserve(k_); }
    void push(float s, int i)
    {
        Hit h{s, i};
        if ((int)heap.size() < k)
        {
            heap.push_back(h);
            std::push_heap(heap.begin(), heap.end(), better);
        }
        else if (better(h, heap.front()))
        {
            std::pop_heap(heap.begin(), heap.end(), better);
            heap.back() = h;
            std::push_heap(heap.begin(), heap.end(), better);
        }
    }
    float threshold() const { return (int)heap.size() < k ? -FLT_MAX : heap.front().score; }
    //! Writes the kept hits best first (heap.size() of them; k once k hits were pushed).
    void write(int* indices, float* scores)
    {
        std::sort(heap.begin(), heap.end(), better);
        for (size_t j = 0; j < heap.size(); j++)
        {
            indices[j] = heap[j].index;
            scores[j] = heap[j].score;
        }
    }
    int k;
    std::vector<Hit> heap;
};

/** Top-k rows of `gallery` (N x D, continuous CV_32F) by score(q, n) = <q, g_n> * scale[n]
    (scale empty: 1), for every row q of `queries` (Q x D, continuous CV_32F).
    Batched matrix products over gallery blocks, blocks spread over cv::parallel_for_.
    Ties go to the lower row, so the result is deterministic. k is clamped to N.
    indices: Q x k CV_32S, scores: Q x k CV_32F, best first.
    With `quantized` (the owner's codes of this gallery), a few queries over a large gallery go
    through QuantizedRows::topK instead: same answer, an eighth of the memory traffic. */
void exactTopK(const Mat& queries, const Mat& gallery, const std::vector<float>& scale, int k,
               Mat& indices, Mat& scores, const LazyQuantizedRows* quantized = nullptr);

/** Copy of `m` (any 2-D single-channel float/integer matrix) as CV_32F with unit-L2 rows (zero rows
    stay zero); `what` names the argument in errors (empty, NaN, wrong dims -> cv::Exception). */
Mat normalizedRows(InputArray m, const char* what, int expectedCols = -1);

}}} // namespace cv::zsl::detail

#endif
