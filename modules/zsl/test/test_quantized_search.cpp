// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <algorithm>
#include <set>
#include "search/quantized_search.hpp"
#include "opencv2/zsl/gallery_index.hpp"
#include "opencv2/zsl/word_vectors.hpp"

namespace opencv_test {
namespace {

using cv::zsl::detail::QuantizedRows;
using cv::zsl::detail::LazyQuantizedRows;

// Clusters of near-duplicates (scores within ~1e-3 of each other: the 4-bit bounds, ~0.1 wide,
// cannot separate them, so the exact re-scoring must), plus zero rows and exact duplicates.
Mat hardGallery(int n, int d, uint64 seed)
{
    cv::RNG rng(seed);
    Mat centers(64, d, CV_32F), x(n, d, CV_32F);
    rng.fill(centers, cv::RNG::NORMAL, 0, 1);
    rng.fill(x, cv::RNG::NORMAL, 0, 1e-2);
    for (int i = 0; i < n; i++)
        x.row(i) += centers.row(rng.uniform(0, 64)) * rng.uniform(0.5, 3.0); // lengths vary: cosine ignores them
    x.row(5).setTo(0);
    x.row(n - 1).setTo(0);
    x.row(7).copyTo(x.row(n / 2)); // a tie: the lower row must come first
    return x;
}

// Reference: double-precision cosines of the unit rows, full sort, ties to the lower row.
std::vector<std::pair<double, int>> reference(const Mat& unit, const Mat& q)
{
    std::vector<std::pair<double, int>> all;
    for (int j = 0; j < unit.rows; j++)
        all.emplace_back(-unit.row(j).dot(q), j);
    std::sort(all.begin(), all.end());
    return all;
}

Mat unitRows(const Mat& x, std::vector<float>& inverseNorms)
{
    Mat u = x.clone();
    inverseNorms.resize(x.rows);
    for (int i = 0; i < x.rows; i++)
    {
        const double n = cv::norm(x.row(i));
        inverseNorms[i] = n > 0 ? (float)(1.0 / n) : 0.f;
        if (n > 0)
            u.row(i) /= n;
    }
    return u;
}

// Scores per rank equal the reference's, and every returned row really has its returned score
// (so the rows are the reference's up to exact ties of the float scores).
void expectExactTopK(const std::vector<std::pair<double, int>>& ref, const std::vector<int>& idx,
                     const std::vector<float>& sc, const Mat& unit, const Mat& q)
{
    std::set<int> seen;
    for (size_t r = 0; r < idx.size(); r++)
    {
        ASSERT_GE(idx[r], 0);
        ASSERT_LT(idx[r], unit.rows);
        EXPECT_TRUE(seen.insert(idx[r]).second) << "row " << idx[r] << " returned twice";
        EXPECT_NEAR(sc[r], -ref[r].first, 2e-6) << "rank " << r;
        EXPECT_NEAR(sc[r], unit.row(idx[r]).dot(q), 2e-6) << "rank " << r;
        if (r > 0)
            EXPECT_TRUE(sc[r - 1] > sc[r] || (sc[r - 1] == sc[r] && idx[r - 1] < idx[r])) << "rank " << r;
    }
}

std::vector<QuantizedRows::Kernel> supportedKernels()
{
    std::vector<QuantizedRows::Kernel> ks;
    for (QuantizedRows::Kernel k : { QuantizedRows::KERNEL_GENERIC, QuantizedRows::KERNEL_AVX2, QuantizedRows::KERNEL_AVX512_VNNI })
        if (QuantizedRows::kernelSupported(k))
            ks.push_back(k);
    return ks;
}

TEST(ZSL_QuantizedSearch, topK_equals_brute_force_for_every_kernel_and_dimension)
{
    // Dimensions around the 64-per-chunk packing and the 128-per-register AVX-512 step.
    for (int d : { 1, 63, 64, 65, 128, 129, 300 })
    {
        SCOPED_TRACE(cv::format("d = %d", d));
        const Mat x = hardGallery(20000, d, 10 + d);
        std::vector<float> inv;
        const Mat unit = unitRows(x, inv);
        // Word-vector style: raw rows scaled by their inverse norms.
        QuantizedRows codes(x, inv);
        EXPECT_EQ(codes.memoryBytes(), (size_t)2 * 20000 * ((d + 63) / 64 * 32) + 5 * 20000 * sizeof(float));
        cv::RNG rng(d);
        for (int t = 0; t < 3; t++)
        {
            Mat q(1, d, CV_32F);
            if (t == 0)
                unit.row(7).copyTo(q); // a tied duplicate: rows 7 and 10000 both score 1
            else
            {
                rng.fill(q, cv::RNG::NORMAL, 0, 1);
                q /= cv::norm(q);
            }
            const std::vector<std::pair<double, int>> ref = reference(unit, q);
            std::vector<std::vector<int>> results;
            for (QuantizedRows::Kernel kernel : supportedKernels())
            {
                for (int k : { 1, 10, 100 })
                {
                    codes.setKernel(kernel);
                    std::vector<int> idx(k);
                    std::vector<float> sc(k);
                    codes.topK(q.ptr<float>(), x, inv, k, idx.data(), sc.data());
                    expectExactTopK(ref, idx, sc, unit, q);
                    if (k == 100)
                        results.push_back(idx);
                }
            }
            // Every kernel computes the same integers, hence the same candidates and answer.
            for (size_t i = 1; i < results.size(); i++)
                EXPECT_EQ(results[i], results[0]) << "kernel " << (int)supportedKernels()[i];
            if (t == 0 && d > 1)
            {
                EXPECT_EQ(results[0][0], 7);
                EXPECT_EQ(results[0][1], 10000);
            }
        }
    }
}

// The bounds topK prunes with must hold for the worst query, the one along a row's quantisation
// error (where Cauchy-Schwarz is tight). The test recovers the dequantised rows through bounds()
// on basis-vector queries (exact there: a basis vector is coded without error), then aims at them.
TEST(ZSL_QuantizedSearch, bounds_hold_for_adversarial_queries)
{
    for (int d : { 65, 300 })
    {
        SCOPED_TRACE(cv::format("d = %d", d));
        cv::RNG rng(d);
        Mat x(200, d, CV_32F);
        rng.fill(x, cv::RNG::NORMAL, 0, 1);
        std::vector<float> inv;
        const Mat unit = unitRows(x, inv);
        QuantizedRows codes(unit, std::vector<float>());
        double tightestCoarse = 0, tightestFine = 0;
        for (int n = 0; n < unit.rows; n++)
        {
            Mat coarseRow(1, d, CV_32F), fineRow(1, d, CV_32F), e = Mat::zeros(1, d, CV_32F);
            float c, cw, f, fw;
            for (int i = 0; i < d; i++)
            {
                e.at<float>(i) = 1.f;
                codes.bounds(e.ptr<float>(), n, c, cw, f, fw);
                coarseRow.at<float>(i) = c;
                fineRow.at<float>(i) = f;
                e.at<float>(i) = 0.f;
            }
            const Mat v = unit.row(n);
            EXPECT_LT(cv::norm(v - coarseRow), 0.25); // the codes do describe the row
            EXPECT_LT(cv::norm(v - fineRow), 0.25 / 14);
            for (int level = 0; level < 2; level++)
            {
                Mat q = v - (level == 0 ? coarseRow : fineRow);
                q /= cv::norm(q);
                codes.bounds(q.ptr<float>(), n, c, cw, f, fw);
                const double truth = v.dot(q), approx = level == 0 ? c : f, width = level == 0 ? cw : fw;
                EXPECT_LE(std::abs(truth - approx), width) << "row " << n << " level " << level;
                (level == 0 ? tightestCoarse : tightestFine) =
                    std::max(level == 0 ? tightestCoarse : tightestFine, std::abs(truth - approx) / width);
            }
            // And for random queries, at both levels.
            Mat q(1, d, CV_32F);
            rng.fill(q, cv::RNG::NORMAL, 0, 1);
            codes.bounds(q.ptr<float>(), n, c, cw, f, fw);
            EXPECT_LE(std::abs(v.dot(q) - c), cw);
            EXPECT_LE(std::abs(v.dot(q) - f), fw);
        }
        // The adversarial queries come close to the bound: it is certified, not loose (the fine
        // level's query-error term, ~0.008, is a larger share of its ~0.02 width).
        EXPECT_GT(tightestCoarse, 0.9);
        EXPECT_GT(tightestFine, 0.7);
    }
}

TEST(ZSL_QuantizedSearch, edge_cases)
{
    const Mat x = hardGallery(300, 32, 3);
    std::vector<float> inv;
    const Mat unit = unitRows(x, inv);
    QuantizedRows codes(unit, std::vector<float>());
    // k = N: the whole gallery in order (zero rows last, lower row first among the two).
    std::vector<int> idx(300);
    std::vector<float> sc(300);
    Mat q = unit.row(11).clone();
    codes.topK(q.ptr<float>(), unit, std::vector<float>(), 300, idx.data(), sc.data());
    expectExactTopK(reference(unit, q), idx, sc, unit, q);
    // A zero query scores 0 everywhere: rows 0..k-1.
    Mat zero = Mat::zeros(1, 32, CV_32F);
    codes.topK(zero.ptr<float>(), unit, std::vector<float>(), 3, idx.data(), sc.data());
    EXPECT_EQ(std::vector<int>(idx.begin(), idx.begin() + 3), std::vector<int>({ 0, 1, 2 }));
    EXPECT_EQ(sc[0], 0.f);
    // Unsupported kernels are refused with an exception, not run.
    for (QuantizedRows::Kernel k : { QuantizedRows::KERNEL_AVX2, QuantizedRows::KERNEL_AVX512_VNNI })
        if (!QuantizedRows::kernelSupported(k))
            EXPECT_THROW(codes.setKernel(k), cv::Exception);
    EXPECT_THROW(codes.setKernel((QuantizedRows::Kernel)42), cv::Exception);
}

TEST(ZSL_QuantizedSearch, lazy_codes_only_for_large_galleries)
{
    LazyQuantizedRows lazy;
    EXPECT_FALSE(lazy.get(Mat::ones(LazyQuantizedRows::kMinRows - 1, 4, CV_32F), std::vector<float>()));
    Mat big(LazyQuantizedRows::kMinRows, 4, CV_32F, Scalar::all(0.5));
    std::shared_ptr<const QuantizedRows> a = lazy.get(big, std::vector<float>()), b = lazy.get(big, std::vector<float>());
    ASSERT_TRUE(a != nullptr);
    EXPECT_EQ(a.get(), b.get()); // built once
    lazy.reset();
    EXPECT_NE(lazy.get(big, std::vector<float>()).get(), nullptr);
}

// End to end: single queries over a gallery large enough for the codes give the brute force's
// answer, as the batched float path (a batch larger than kMaxQueries) does, for GalleryIndex and
// WordVectors. Rows are compared through their scores: in these near-duplicate clusters two rows
// can differ by one float rounding, and the two paths sum in different orders.
TEST(ZSL_QuantizedSearch, single_queries_equal_batched_float_path)
{
    const int n = LazyQuantizedRows::kMinRows + 1000, d = 48;
    const Mat x = hardGallery(n, d, 5);
    std::vector<float> inv;
    const Mat unit = unitRows(x, inv);
    cv::RNG rng(17);
    Mat queries(LazyQuantizedRows::kMaxQueries + 1, d, CV_32F);
    rng.fill(queries, cv::RNG::NORMAL, 0, 1);
    x.row(123).copyTo(queries.row(0));

    Ptr<cv::zsl::GalleryIndex> gallery = cv::zsl::GalleryIndex::create(x);
    std::vector<String> words(n);
    for (int i = 0; i < n; i++)
        words[i] = cv::format("w%d", i);
    Ptr<cv::zsl::WordVectors> wv = cv::zsl::WordVectors::create(words, x);

    Mat bIdx, bSim, wIdx, wSim;
    gallery->search(queries, 10, bIdx, bSim);
    wv->nearestWords(queries, 10, wIdx, wSim);
    for (int i = 0; i < queries.rows; i++)
    {
        SCOPED_TRACE(cv::format("query %d", i));
        Mat q = queries.row(i) / cv::norm(queries.row(i));
        const std::vector<std::pair<double, int>> ref = reference(unit, q);
        Mat idx, sim;
        for (int path = 0; path < 4; path++)
        {
            if (path == 0)
                gallery->search(queries.row(i), 10, idx, sim);
            else if (path == 1)
                wv->nearestWords(queries.row(i), 10, idx, sim);
            else
                (path == 2 ? bIdx : wIdx).row(i).copyTo(idx), (path == 2 ? bSim : wSim).row(i).copyTo(sim);
            expectExactTopK(ref, std::vector<int>(idx.begin<int>(), idx.end<int>()),
                            std::vector<float>(sim.begin<float>(), sim.end<float>()), unit, q);
        }
    }
    // Adding rows drops the codes: the new row is found by a single query.
    gallery->add(x.row(77) * 2.0);
    Mat idx, sim;
    gallery->search(x.row(77), 2, idx, sim);
    EXPECT_EQ(idx.at<int>(0, 0), 77);
    EXPECT_EQ(idx.at<int>(0, 1), n);
}

}} // namespace opencv_test
