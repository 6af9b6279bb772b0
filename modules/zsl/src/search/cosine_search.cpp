// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "search/cosine_search.hpp"
#include "eigen_bridge.hpp"

namespace cv {
namespace zsl {
namespace detail {

void exactTopK(const Mat& queries, const Mat& gallery, const std::vector<float>& scale, int k,
               Mat& indices, Mat& scores, const LazyQuantizedRows* quantized)
{
    CV_Assert(queries.type() == CV_32FC1 && gallery.type() == CV_32FC1);
    CV_Assert(queries.isContinuous() && gallery.isContinuous());
    CV_Assert(queries.cols == gallery.cols);
    CV_Assert(scale.empty() || scale.size() == (size_t)gallery.rows);
    const int Q = queries.rows, N = gallery.rows;
    k = std::min(k, N);
    if (k <= 0)
        CV_Error(Error::StsBadArg, cv::format("zsl search: k must be >= 1 (got %d) and the gallery non-empty (%d rows)", k, N));
    indices.create(Q, k, CV_32S);
    scores.create(Q, k, CV_32F);
    if (Q == 0)
        return;
    if (quantized && Q <= LazyQuantizedRows::kMaxQueries)
    {
        if (std::shared_ptr<const QuantizedRows> codes = quantized->get(gallery, scale))
        {
            for (int i = 0; i < Q; i++)
                codes->topK(queries.ptr<float>(i), gallery, scale, k, indices.ptr<int>(i), scores.ptr<float>(i));
            return;
        }
    }

    // Gallery blocks: one matrix product per block through cv::gemm (OpenBLAS where OpenCV has it:
    // 2.4x the FLOP rate of Eigen's SSE2 kernels here, and threaded by BLAS itself), then the top-k
    // of every query row in parallel. Memory stays at one qBatch x block score matrix.
    const int qBatch = 256;
    const int block = 16384;
    for (int q0 = 0; q0 < Q; q0 += qBatch)
    {
        const int nq = std::min(qBatch, Q - q0);
        const Mat Qm = queries.rowRange(q0, q0 + nq);
        std::vector<TopK> tops(nq, TopK(k));
        Mat S;
        for (int g0 = 0; g0 < N; g0 += block)
        {
            const int ng = std::min(block, N - g0);
            cv::gemm(Qm, gallery.rowRange(g0, g0 + ng), 1.0, noArray(), 0.0, S, GEMM_2_T); // nq x ng
            cv::parallel_for_(Range(0, nq), [&](const Range& r) {
                for (int i = r.start; i < r.end; i++)
                {
                    float* s = S.ptr<float>(i);
                    if (!scale.empty())
                        Eigen::Map<Eigen::ArrayXf>(s, ng) *= Eigen::Map<const Eigen::ArrayXf>(scale.data() + g0, ng);
                    TopK& top = tops[i];
                    for (int j = 0; j < ng; j++)
                        if (s[j] > top.threshold()) // later equal scores have higher rows: never better
                            top.push(s[j], g0 + j);
                }
            });
        }
        for (int i = 0; i < nq; i++)
            tops[i].write(indices.ptr<int>(q0 + i), scores.ptr<float>(q0 + i));
    }
}

Mat normalizedRows(InputArray input, const char* what, int expectedCols)
{
    Mat m = input.getMat();
    if (m.empty())
        CV_Error(Error::StsBadArg, cv::format("%s: empty matrix", what));
    if (m.dims > 2 || m.channels() != 1)
        CV_Error(Error::StsBadArg, cv::format("%s: expected a 2-D single-channel matrix", what));
    if (expectedCols >= 0 && m.cols != expectedCols)
        CV_Error(Error::StsBadSize, cv::format("%s: expected %d columns, got %d", what, expectedCols, m.cols));
    checkFinite(m, what);
    // One copy (galleries can be millions of rows): convert, then normalise in place.
    Mat out;
    m.convertTo(out, CV_32F);
    if (!out.isContinuous())
        out = out.clone();
    Eigen::Map<RowMatrixXf> e(out.ptr<float>(), out.rows, out.cols);
    cv::parallel_for_(Range(0, out.rows), [&](const Range& r) {
        for (int i = r.start; i < r.end; i++)
        {
            const float n = e.row(i).norm();
            if (n > 0)
                e.row(i) /= n;
        }
    });
    return out;
}

}}} // namespace cv::zsl::detail
