// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "cosine_search.hpp"
#include "eigen_bridge.hpp"

namespace cv {
namespace zsl {
namespace detail {

namespace {

struct Hit
{
    float score;
    int index;
};

// "a ranks before b": higher score, then lower index (deterministic ties).
inline bool better(const Hit& a, const Hit& b)
{
    return a.score > b.score || (a.score == b.score && a.index < b.index);
}

// Keeps the k best hits seen so far in a heap whose top is the worst kept hit.
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
    int k;
    std::vector<Hit> heap;
};

} // namespace

void exactTopK(const Mat& queries, const Mat& gallery, const std::vector<float>& scale, int k,
               Mat& indices, Mat& scores)
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

    // Gallery blocks sized so that a Q-batch x block score matrix stays in cache-friendly territory;
    // every block is one matrix product, blocks run in parallel and merge at the end.
    const int qBatch = 256;
    const int block = 8192;
    const int numBlocks = (N + block - 1) / block;
    const ConstRowMapXf G(gallery.ptr<float>(), N, gallery.cols);

    for (int q0 = 0; q0 < Q; q0 += qBatch)
    {
        const int nq = std::min(qBatch, Q - q0);
        const ConstRowMapXf Qm(queries.ptr<float>(q0), nq, queries.cols);
        std::vector<std::vector<Hit>> partial((size_t)numBlocks * nq);
        cv::parallel_for_(Range(0, numBlocks), [&](const Range& r) {
            RowMatrixXf S;
            for (int b = r.start; b < r.end; b++)
            {
                const int g0 = b * block, ng = std::min(block, N - g0);
                S.noalias() = Qm * G.middleRows(g0, ng).transpose(); // nq x ng
                if (!scale.empty())
                    S *= Eigen::Map<const Eigen::VectorXf>(scale.data() + g0, ng).asDiagonal();
                for (int i = 0; i < nq; i++)
                {
                    TopK top(k);
                    const float* s = S.data() + (size_t)i * ng;
                    for (int j = 0; j < ng; j++)
                        if (s[j] > top.threshold()) // later equal scores have higher rows: never better
                            top.push(s[j], g0 + j);
                    partial[(size_t)b * nq + i] = std::move(top.heap);
                }
            }
        }, numBlocks);

        for (int i = 0; i < nq; i++)
        {
            TopK top(k);
            for (int b = 0; b < numBlocks; b++)
                for (const Hit& h : partial[(size_t)b * nq + i])
                    top.push(h.score, h.index);
            std::sort(top.heap.begin(), top.heap.end(), better);
            int* idx = indices.ptr<int>(q0 + i);
            float* sc = scores.ptr<float>(q0 + i);
            for (int j = 0; j < k; j++)
            {
                idx[j] = top.heap[j].index;
                sc[j] = top.heap[j].score;
            }
        }
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
