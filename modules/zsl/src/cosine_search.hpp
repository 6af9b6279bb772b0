// This file is part of the opencv_zsl module (cv::zsl).
// Internal: exact top-k inner-product search shared by WordVectors::nearestWords and GalleryIndex.
#ifndef OPENCV_ZSL_COSINE_SEARCH_HPP
#define OPENCV_ZSL_COSINE_SEARCH_HPP

#include <opencv2/core.hpp>
#include <vector>
#include "quantized_search.hpp"

namespace cv {
namespace zsl {
namespace detail {

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
