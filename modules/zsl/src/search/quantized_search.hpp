// This file is part of the opencv_zsl module (cv::zsl).
// Internal: exact top-k of single queries over large galleries with a certified 4-bit pre-filter.
#ifndef OPENCV_ZSL_QUANTIZED_SEARCH_HPP
#define OPENCV_ZSL_QUANTIZED_SEARCH_HPP

#include <opencv2/core.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace cv {
namespace zsl {
namespace detail {

/** 4-bit codes of the rows of a gallery, used to answer one query *exactly* while reading about an
    eighth of the bytes of the float gallery.

    A brute-force single query is a matrix-vector product: it streams the whole float gallery
    (2.4 GB for 2M x 300) through memory and is bandwidth-bound (~180 ms here). Here each row v_n
    is stored as v_n = s_n c_n + e_n (coarse codes c_n in [-7, 7], one step s_n per row) and, for
    refinement, the residual as e_n = (s_n / 14) f_n + r_n (fine codes f_n in [-7, 7]); the query as
    q = s_q c_q + e_q (c_q int8). Integer dot products give approximate scores whose distance from
    the true score is certified, e.g. for the coarse level
        |<q, v_n> - s_q s_n <c_q, c_n>| = |<q, e_n> + <e_q, s_n c_n>| <= ||q|| ||e_n|| + ||e_q|| ||s_n c_n||
    (~0.15 wide for unit rows of 300 dimensions; ~0.01 with the fine codes). A row is refined only
    when its coarse upper bound reaches the k-th best lower bound found so far, kept as a candidate
    only when its fine upper bound does, and the candidates are re-scored on the float gallery. No
    row that can be in the top k is dropped: the answer is the brute force's. On clustered data
    (embeddings) few rows pass the coarse level; on structureless data more rows are refined, and
    the cost approaches that of reading 8-bit codes. */
class QuantizedRows
{
public:
    /** Codes of the rows of `gallery` (N x D, continuous CV_32F) scaled by `scale` (empty: 1), which
        must make every row unit-norm or zero (as exactTopK's callers do). */
    QuantizedRows(const Mat& gallery, const std::vector<float>& scale);

    /** Exact top-k of one query q (D floats, unit norm) by <q, g_n> * scale[n], best first, ties to
        the lower row: the same answer as exactTopK. k must be in [1, N]. */
    void topK(const float* q, const Mat& gallery, const std::vector<float>& scale, int k,
              int* indices, float* scores) const;

    /** The certified approximations of <q, row> (q: D floats, non-zero): the true score lies within
        coarse +- coarseHalfWidth and within fine +- fineHalfWidth (what topK relies on; for tests). */
    void bounds(const float* q, int row, float& coarse, float& coarseHalfWidth, float& fine, float& fineHalfWidth) const;

    //! Bytes held by the codes and per-row constants.
    size_t memoryBytes() const;

    //! Integer dot-product kernels (all give the same integers).
    enum Kernel { KERNEL_AUTO = 0, KERNEL_GENERIC = 1, KERNEL_AVX2 = 2, KERNEL_AVX512_VNNI = 3 };
    //! Whether this CPU (and build) can run `kernel`.
    static bool kernelSupported(Kernel kernel);
    //! Name of the kernel KERNEL_AUTO picks on this CPU ("avx512-vnni", "avx2", "generic").
    static const char* kernelName();
    //! Selects the kernel of this object's searches (tests compare them); unsupported -> cv::Exception.
    void setKernel(Kernel kernel);

private:
    // A query's int8 codes in the rows' nibble layout, and the query terms of the bounds.
    struct QueryCodes
    {
        std::vector<int8_t> low, high;
        float step;     // s_q
        int32_t offset; // 8 * sum(c_q): stored nibbles are code + 8
        float norm;     // ||q|| (rounded up)
        float error;    // ||e_q|| (rounded up)
        float slack;    // float rounding of the scores
    };
    QueryCodes encodeQuery(const float* q) const;
    //! Coarse scores and half-widths of rows first..first+n-1 from their integer dot products.
    void coarseBounds(const QueryCodes& qc, int first, int n, const int32_t* dot, float* approx, float* halfWidth) const;
    float fineScore(const QueryCodes& qc, int row, int32_t coarseDot, int32_t fineDot) const;
    float fineWidth(const QueryCodes& qc, int row) const;

    int rows_ = 0, dims_ = 0, stride_ = 0;
    Kernel kernel_ = KERNEL_AUTO;
    // rows_ x stride_ bytes each. Byte i of the 32-byte chunk j holds code+8 (in [1, 15]) of
    // dimension 64j+i in its low nibble and of dimension 64j+32+i in its high nibble, so that SIMD
    // kernels unpack a chunk with one mask and one shift; padding dimensions hold code 0.
    Mat coarse_, fine_;               // c_n, f_n
    std::vector<float> step_;         // s_n
    std::vector<float> coarseError_;  // ||e_n||
    std::vector<float> coarseNorm_;   // ||s_n c_n||
    std::vector<float> fineError_;    // ||r_n||
    std::vector<float> fineNorm_;     // ||s_n c_n + s_n/14 f_n||
};

/** A QuantizedRows built on first use, from any number of threads (built once, shared after). */
class LazyQuantizedRows
{
public:
    //! Galleries smaller than this are scanned in float: the codes would not pay for themselves.
    static const int kMinRows = 65536;
    //! Up to this many queries per call take the quantized path; larger batches are compute-bound
    //! matrix products, where the float gallery is read once per batch anyway.
    static const int kMaxQueries = 16;

    //! The codes of `gallery` (built by the first caller), or null when the gallery is too small.
    std::shared_ptr<const QuantizedRows> get(const Mat& gallery, const std::vector<float>& scale) const;
    //! Drops the codes (the gallery changed).
    void reset();

private:
    mutable std::mutex mutex_;
    mutable std::shared_ptr<const QuantizedRows> rows_;
};

}}} // namespace cv::zsl::detail

#endif
