// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include "opencv2/zsl/sharding.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl;

TEST(ZSL_Sharding, shardRangesPartitionTheInputInOrder)
{
    for (int total : {0, 1, 7, 10, 1000})
        for (int shards : {1, 2, 3, 8})
        {
            int next = 0;
            for (int s = 0; s < shards; s++)
            {
                const Range r = shardRange(total, shards, s);
                EXPECT_EQ(r.start, next) << total << " items, shard " << s << " of " << shards;
                EXPECT_LE(r.size(), total / shards + 1);
                EXPECT_GE(r.size(), total / shards);
                next = r.end;
            }
            EXPECT_EQ(next, total);
        }
    EXPECT_EQ(shardRange(10, 3, 0), Range(0, 4));
    EXPECT_EQ(shardRange(10, 3, 2), Range(7, 10));
    EXPECT_THROW(shardRange(10, 3, 3), cv::Exception);
    EXPECT_THROW(shardRange(10, 0, 0), cv::Exception);
    EXPECT_THROW(shardRange(-1, 2, 0), cv::Exception);
}

//! Exact search of every shard (its own GalleryIndex), merged, against one index over the whole gallery.
void expectShardedEqualsSingle(const Mat& gallery, const Mat& queries, const std::vector<int>& cuts, int k)
{
    Ptr<GalleryIndex> single = GalleryIndex::create(gallery);
    Mat refIdx, refSim;
    single->search(queries, k, refIdx, refSim);
    std::vector<Mat> idx, sim;
    std::vector<int> offsets;
    for (size_t s = 0; s + 1 < cuts.size(); s++)
    {
        Ptr<GalleryIndex> shard = GalleryIndex::create(gallery.rowRange(cuts[s], cuts[s + 1]));
        Mat i, d;
        shard->search(queries, k, i, d);
        idx.push_back(i);
        sim.push_back(d);
        offsets.push_back(cuts[s]);
    }
    Mat gotIdx, gotSim;
    mergeTopK(idx, sim, offsets, k, gotIdx, gotSim);
    ASSERT_EQ(gotIdx.size(), refIdx.size());
    EXPECT_EQ(cv::norm(gotIdx, refIdx, NORM_INF), 0) << "indices differ";
    EXPECT_EQ(cv::norm(gotSim, refSim, NORM_INF), 0) << "similarities differ";
}

TEST(ZSL_Sharding, mergedShardTopKEqualsSingleIndexExactSearch)
{
    cv::RNG rng(11);
    Mat gallery(1000, 24, CV_32F), queries(37, 24, CV_32F);
    rng.fill(gallery, RNG::NORMAL, 0, 1);
    rng.fill(queries, RNG::NORMAL, 0, 1);
    expectShardedEqualsSingle(gallery, queries, {0, 300, 301, 700, 1000}, 10);
    expectShardedEqualsSingle(gallery, queries, {0, 1000}, 5);
    // Shards smaller than k: each returns all its rows.
    expectShardedEqualsSingle(gallery, queries, {0, 3, 6, 1000}, 8);
}

TEST(ZSL_Sharding, tiesGoToTheLowerGlobalIdAcrossShards)
{
    // Every row is one of 3 directions (scaled): many exact ties, spread over every shard.
    Mat gallery(90, 4, CV_32F), queries = (Mat_<float>(2, 4) << 1, 0, 0, 0, 0.2f, 1, 0, 0);
    for (int i = 0; i < gallery.rows; i++)
    {
        Mat row = Mat::zeros(1, 4, CV_32F);
        row.at<float>(i % 3) = 1.0f + (float)(i % 5);
        row.copyTo(gallery.row(i));
    }
    expectShardedEqualsSingle(gallery, queries, {0, 17, 40, 41, 90}, 12);
    // The merge alone: equal similarities ranked by global id, whatever the shard order.
    std::vector<Mat> idx = {(Mat_<int>(1, 2) << 0, 1), (Mat_<int>(1, 2) << 0, 1)};
    std::vector<Mat> sim = {(Mat_<float>(1, 2) << 0.5f, 0.5f), (Mat_<float>(1, 2) << 0.5f, 0.25f)};
    Mat i, s;
    mergeTopK(idx, sim, {10, 2}, 3, i, s);
    const Mat expected = (Mat_<int>(1, 3) << 2, 10, 11);
    EXPECT_EQ(cv::norm(i, expected, NORM_INF), 0) << i;
    mergeTopK(idx, sim, {10, 2}, 100, i, s); // k clamped to the hits there are
    EXPECT_EQ(i.cols, 4);
}

TEST(ZSL_Sharding, badShardListsThrow)
{
    Mat i = (Mat_<int>(2, 2) << 0, 1, 1, 0), s = (Mat_<float>(2, 2) << 1, 0.5f, 1, 0.5f), o1, o2;
    EXPECT_THROW(mergeTopK(std::vector<Mat>{i}, std::vector<Mat>{s}, {0, 5}, 2, o1, o2), cv::Exception); // offsets count
    EXPECT_THROW(mergeTopK(std::vector<Mat>{i, i.rowRange(0, 1)}, std::vector<Mat>{s, s.rowRange(0, 1)}, {0, 5}, 2, o1, o2),
                 cv::Exception); // query counts differ
    Mat nan = s.clone();
    nan.at<float>(1, 1) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(mergeTopK(std::vector<Mat>{i}, std::vector<Mat>{nan}, {0}, 2, o1, o2), cv::Exception);
    Mat neg = i.clone();
    neg.at<int>(0, 0) = -1;
    EXPECT_THROW(mergeTopK(std::vector<Mat>{neg}, std::vector<Mat>{s}, {0}, 2, o1, o2), cv::Exception);
    EXPECT_THROW(mergeTopK(std::vector<Mat>{i}, std::vector<Mat>{s}, {INT_MAX}, 2, o1, o2), cv::Exception);
    EXPECT_THROW(mergeTopK(std::vector<Mat>{i}, std::vector<Mat>{s}, {0}, 0, o1, o2), cv::Exception);
    Mat f;
    i.convertTo(f, CV_32F);
    EXPECT_THROW(mergeTopK(std::vector<Mat>{f}, std::vector<Mat>{s}, {0}, 2, o1, o2), cv::Exception);
}

}} // namespace
