// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_SHARDING_HPP
#define OPENCV_ZSL_SHARDING_HPP

#include <opencv2/core.hpp>

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief The items of shard `shard` of `numShards` over `total` items in order: a contiguous range,
the first `total % numShards` shards one item longer. The shard contract of the scale-out tools
(doc/scale_out.md): shard i of N depends only on (total, N, i), so any engine (MPI rank, Slurm array
task, Spark partition) computes the same split, and concatenating shards 0..N-1 restores the input order.
@throws cv::Exception unless total >= 0 and 0 <= shard < numShards.
Thread safety: a pure function. */
CV_EXPORTS_W Range shardRange(int total, int numShards, int shard);

/** @brief Merges the top-k lists of gallery shards into the top-k of the whole gallery.

Each shard s answered the same Q queries over its own rows (GalleryIndex::search in SEARCH_EXACT
mode, say), giving Q x k_s local row indices and similarities, best first. The global id of a hit is
shardOffsets[s] + its local index (shardOffsets[s]: the global row of the shard's first item). The
result ranks by similarity, ties to the lower global id, as the single-index exact search does: when
every shard returns its exact top min(k, shard size) the result equals the exact top-k of the
concatenated gallery, indices and similarities bit for bit (the similarity of a row does not depend on
the shard that holds it).
@param shardIndices one Q x k_s CV_32S matrix per shard (k_s may differ; k_s = 0 or an empty matrix: no hits).
@param shardSimilarities one Q x k_s CV_32F matrix per shard, finite.
@param shardOffsets global id of the first row of each shard; shards must not overlap.
@param k hits kept per query (clamped to the sum of the k_s).
@param indices Q x k CV_32S global ids, best first.
@param similarities Q x k CV_32F.
@throws cv::Exception on mismatched counts or shapes, negative ids, ids beyond INT_MAX, non-finite similarities.
Thread safety: a pure function.
*/
CV_EXPORTS_W void mergeTopK(InputArrayOfArrays shardIndices, InputArrayOfArrays shardSimilarities,
                            const std::vector<int>& shardOffsets, int k, OutputArray indices, OutputArray similarities);

//! @}

}} // namespace cv::zsl

#endif
