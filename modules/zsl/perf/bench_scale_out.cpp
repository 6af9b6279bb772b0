// This file is part of the opencv_zsl module (cv::zsl).
// Benchmark: the per-rank costs of exact distributed closed-form training and sharded search
// (doc/scale_out.md), against the single-process path in the same run (interleaved rounds, medians).
//
//   bench_scale_out [--rows 20000] [--dims 2048] [--classes 40] [--attributes 85] [--shards 3] [--rounds 5]
//                   [--gallery 200000] [--queries 64] [--k 10] [--threads 0]
//
// Prints:
// - statistics size: (D^2 + C D + C) doubles per rank per allreduce (what travels; independent of N);
// - accumulate: TrainingStatistics::add of one shard (the O(N D^2 / shards) compute of a rank);
// - merge: one TrainingStatistics::merge (what a reduction step costs, besides the network);
// - solve: TrainingStatistics::train (rank 0 after the reduction, O(D^3));
// - the peer: ZeroShotClassifier::train on all rows in one process, and the sharded total
//   (shards x accumulate run one after another here, + merges + solve) as a ratio of it;
// - sharded search: shards x GalleryIndex exact top-k of a shard + mergeTopK, against one index.
// The MPI overhead (mpirun -np 1 vs -np 3 of zsl_mpi) is measured by tools/bench_scale_out.sh.
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include "opencv2/zsl.hpp"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

using Clock = std::chrono::steady_clock;
using namespace cv;
using namespace cv::zsl;

static double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

static double seconds(const std::function<void()>& f)
{
    const auto t0 = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

int main(int argc, char** argv)
{
    int rows = 20000, dims = 2048, classes = 40, attributes = 85, shards = 3, rounds = 5, threads = 0;
    int gallery = 200000, queries = 64, k = 10;
    for (int i = 1; i < argc; i++)
    {
        auto next = [&]() {
            if (i + 1 >= argc) { std::fprintf(stderr, "missing value after %s\n", argv[i]); std::exit(2); }
            const int v = std::atoi(argv[++i]);
            if (v < 1 && std::strcmp(argv[i - 1], "--threads")) { std::fprintf(stderr, "%s must be >= 1\n", argv[i - 1]); std::exit(2); }
            return v;
        };
        if (!std::strcmp(argv[i], "--rows")) rows = next();
        else if (!std::strcmp(argv[i], "--dims")) dims = next();
        else if (!std::strcmp(argv[i], "--classes")) classes = next();
        else if (!std::strcmp(argv[i], "--attributes")) attributes = next();
        else if (!std::strcmp(argv[i], "--shards")) shards = next();
        else if (!std::strcmp(argv[i], "--rounds")) rounds = next();
        else if (!std::strcmp(argv[i], "--gallery")) gallery = next();
        else if (!std::strcmp(argv[i], "--queries")) queries = next();
        else if (!std::strcmp(argv[i], "--k")) k = next();
        else if (!std::strcmp(argv[i], "--threads")) threads = next();
        else { std::fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (threads > 0)
        setNumThreads(threads);
    RNG rng(1);
    Mat X(rows, dims, CV_32F), y(rows, 1, CV_32S), protos(classes, attributes, CV_32F);
    rng.fill(X, RNG::UNIFORM, 0, 1); // non-negative, as features after a ReLU
    rng.fill(protos, RNG::UNIFORM, 0, 1);
    for (int i = 0; i < rows; i++)
        y.at<int>(i) = i % classes;
    ClassPrototypes seen;
    seen.vectors = protos;
    for (int c = 0; c < classes; c++)
        seen.names.push_back(format("class%d", c));
    const ZeroShotClassifier::Params params; // ESZSL

    std::printf("# bench_scale_out: N=%d D=%d C=%d A=%d, %d shards, %d rounds, %d threads (medians)\n", rows, dims, classes,
                attributes, shards, rounds, getNumThreads());
    const double values = (double)dims * dims + (double)classes * dims + classes;
    std::printf("statistics size: %.0f doubles = %.2f MiB per rank per allreduce (D^2 + C D + C; independent of N)\n",
                values, values * 8 / (1 << 20));

    std::vector<double> tSingle, tAdd, tMerge, tSolve, tSharded;
    for (int r = 0; r < rounds; r++)
    {
        // Interleaved: the peer, then the sharded path, every round.
        tSingle.push_back(seconds([&] {
            Ptr<ZeroShotClassifier> z = ZeroShotClassifier::create(params);
            z->train(X, y, seen);
        }));
        std::vector<Ptr<TrainingStatistics>> parts(shards);
        double add = 0, merge = 0;
        for (int s = 0; s < shards; s++)
        {
            const Range part = shardRange(rows, shards, s);
            parts[s] = TrainingStatistics::create(dims, classes);
            const double t = seconds([&] { parts[s]->add(X.rowRange(part), y.rowRange(part)); });
            add = std::max(add, t); // the slowest rank
        }
        for (int s = 1; s < shards; s++)
            merge += seconds([&] { parts[0]->merge(parts[s]); });
        const double solve = seconds([&] { parts[0]->train(params, seen); });
        tAdd.push_back(add);
        tMerge.push_back(merge / std::max(shards - 1, 1));
        tSolve.push_back(solve);
        tSharded.push_back(add + merge + solve); // per-rank critical path with the ranks in parallel
    }
    const double single = median(tSingle), add = median(tAdd), merge = median(tMerge), solve = median(tSolve);
    std::printf("single process (peer): ZeroShotClassifier::train on %d rows: %.4f s\n", rows, single);
    std::printf("accumulate (one rank, %d rows): %.4f s = %.0f rows/s per rank\n", shardRange(rows, shards, 0).size(), add,
                shardRange(rows, shards, 0).size() / std::max(add, 1e-12));
    std::printf("merge (one TrainingStatistics::merge): %.4f s\n", merge);
    std::printf("solve (TrainingStatistics::train): %.4f s\n", solve);
    std::printf("sharded critical path (slowest accumulate + %d merges + solve, ranks in parallel): %.4f s = %.2fx the peer\n",
                shards - 1, median(tSharded), median(tSharded) / std::max(single, 1e-12));

    // Sharded exact search: per-shard top-k and the merge, against one index over all rows.
    Mat G(gallery, attributes, CV_32F), Q(queries, attributes, CV_32F);
    rng.fill(G, RNG::NORMAL, 0, 1);
    rng.fill(Q, RNG::NORMAL, 0, 1);
    Ptr<GalleryIndex> whole = GalleryIndex::create(G);
    std::vector<Ptr<GalleryIndex>> parts;
    std::vector<int> offsets;
    for (int s = 0; s < shards; s++)
    {
        const Range part = shardRange(gallery, shards, s);
        parts.push_back(GalleryIndex::create(G.rowRange(part)));
        offsets.push_back(part.start);
    }
    std::vector<double> tWhole, tShard, tMergeTop;
    bool same = true;
    for (int r = 0; r < rounds; r++)
    {
        Mat wi, ws;
        tWhole.push_back(seconds([&] { whole->search(Q, k, wi, ws); }));
        std::vector<Mat> idx(shards), sim(shards);
        double slowest = 0;
        for (int s = 0; s < shards; s++)
            slowest = std::max(slowest, seconds([&] { parts[s]->search(Q, k, idx[s], sim[s]); }));
        Mat mi, ms;
        tShard.push_back(slowest);
        tMergeTop.push_back(seconds([&] { mergeTopK(idx, sim, offsets, k, mi, ms); }));
        same = same && norm(mi, wi, NORM_INF) == 0 && norm(ms, ws, NORM_INF) == 0;
    }
    std::printf("search, single index (peer): %d queries, top-%d of %d x %d: %.4f s\n", queries, k, gallery, attributes, median(tWhole));
    std::printf("search, one shard of %d rows: %.4f s; mergeTopK of %d shards: %.6f s (%d x %d hits per shard travel)\n",
                shardRange(gallery, shards, 0).size(), median(tShard), shards, median(tMergeTop), queries, k);
    std::printf("sharded answer identical to the single index: %s\n", same ? "yes" : "NO");
    return same ? 0 : 1;
}
