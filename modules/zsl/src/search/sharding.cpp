// This file is part of the opencv_zsl module (cv::zsl).
// The shard contract of the scale-out tools and the merge of sharded top-k lists.
#include "precomp.hpp"
#include "search/cosine_search.hpp"
#include <climits>

namespace cv {
namespace zsl {

Range shardRange(int total, int numShards, int shard)
{
    if (total < 0 || numShards < 1 || shard < 0 || shard >= numShards)
        CV_Error(Error::StsOutOfRange, cv::format("zsl shardRange: shard %d of %d over %d items (need total >= 0, "
                                                  "0 <= shard < numShards)", shard, numShards, total));
    const int64 base = total / numShards, extra = total % numShards;
    const int64 begin = shard * base + std::min<int64>(shard, extra);
    return Range((int)begin, (int)(begin + base + (shard < extra ? 1 : 0)));
}

void mergeTopK(InputArrayOfArrays shardIndices, InputArrayOfArrays shardSimilarities, const std::vector<int>& shardOffsets,
               int k, OutputArray indices, OutputArray similarities)
{
    const char* what = "zsl mergeTopK";
    std::vector<Mat> idx, sim;
    shardIndices.getMatVector(idx);
    shardSimilarities.getMatVector(sim);
    if (idx.empty() || idx.size() != sim.size() || idx.size() != shardOffsets.size())
        CV_Error(Error::StsBadSize, cv::format("%s: %zu index matrices, %zu similarity matrices and %zu offsets (one of each "
                                               "per shard, at least one shard)", what, idx.size(), sim.size(), shardOffsets.size()));
    if (k < 1)
        CV_Error(Error::StsBadArg, cv::format("%s: k must be >= 1, got %d", what, k));
    int Q = -1, available = 0;
    for (size_t s = 0; s < idx.size(); s++)
    {
        if (idx[s].empty() && sim[s].empty())
            continue;
        if (idx[s].type() != CV_32SC1 || sim[s].type() != CV_32FC1 || idx[s].size() != sim[s].size() || idx[s].dims > 2)
            CV_Error(Error::StsBadArg, cv::format("%s: shard %zu: indices must be Q x k CV_32S and similarities Q x k CV_32F "
                                                  "of the same size", what, s));
        if (Q >= 0 && idx[s].rows != Q)
            CV_Error(Error::StsBadSize, cv::format("%s: shard %zu answers %d queries, shard 0..%zu answered %d", what, s,
                                                   idx[s].rows, s, Q));
        Q = idx[s].rows;
        if (shardOffsets[s] < 0)
            CV_Error(Error::StsBadArg, cv::format("%s: shard %zu has a negative offset %d", what, s, shardOffsets[s]));
        if (!cv::checkRange(sim[s]))
            CV_Error(Error::StsBadArg, cv::format("%s: shard %zu has non-finite similarities", what, s));
        double lo = 0, hi = 0;
        cv::minMaxLoc(idx[s], &lo, &hi);
        if (lo < 0 || (int64)shardOffsets[s] + (int64)hi > INT_MAX)
            CV_Error(Error::StsOutOfRange, cv::format("%s: shard %zu: local indices in [%.0f, %.0f] with offset %d are not valid "
                                                      "rows (negative or beyond INT_MAX)", what, s, lo, hi, shardOffsets[s]));
        available += idx[s].cols;
    }
    if (Q < 0)
        CV_Error(Error::StsBadArg, cv::format("%s: every shard is empty", what));
    k = std::min(k, available);
    Mat outIdx(Q, k, CV_32S), outSim(Q, k, CV_32F);
    // Each query merges its k_s-long lists; ranking by detail::better (similarity, then lower global id).
    cv::parallel_for_(Range(0, Q), [&](const Range& r) {
        detail::TopK top(k);
        for (int q = r.start; q < r.end; q++)
        {
            top.heap.clear();
            for (size_t s = 0; s < idx.size(); s++)
            {
                if (idx[s].empty())
                    continue;
                const int* li = idx[s].ptr<int>(q);
                const float* ls = sim[s].ptr<float>(q);
                for (int j = 0; j < idx[s].cols; j++)
                    top.push(ls[j], shardOffsets[s] + li[j]);
            }
            top.write(outIdx.ptr<int>(q), outSim.ptr<float>(q));
        }
    });
    outIdx.copyTo(indices);
    outSim.copyTo(similarities);
}

}} // namespace cv::zsl
