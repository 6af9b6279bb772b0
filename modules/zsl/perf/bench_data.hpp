// This file is part of the opencv_zsl module (cv::zsl).
// Synthetic data shared by the benchmark programs.
#ifndef OPENCV_ZSL_PERF_BENCH_DATA_HPP
#define OPENCV_ZSL_PERF_BENCH_DATA_HPP

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <vector>

namespace zsl_bench {

/** Embedding-like data: clusters with a low intrinsic dimension (real word/image embeddings are far from
    isotropic; uniform random 300-d points have no meaningful neighbours and defeat every approximate
    method). 2000 clusters, each spread along 8 latent directions, plus noise. Rows are drawn in blocks of
    4096 with their own seeds, so the data does not depend on the thread count. */
inline cv::Mat embeddingLike(int n, int d, uint64 seed)
{
    const int clusters = 2000, latent = 8, block = 4096;
    cv::Mat centers(clusters, d, CV_32F), bases(clusters * latent, d, CV_32F);
    cv::RNG(12345).fill(centers, cv::RNG::NORMAL, 0, 1);
    cv::RNG(54321).fill(bases, cv::RNG::NORMAL, 0, 0.35);
    cv::Mat x(n, d, CV_32F);
    cv::parallel_for_(cv::Range(0, (n + block - 1) / block), [&](const cv::Range& r) {
        std::vector<float> z(latent);
        for (int b = r.start; b < r.end; b++)
        {
            cv::RNG lr(seed * 1000003 + (uint64)b);
            for (int i = b * block; i < std::min(n, (b + 1) * block); i++)
            {
                const int c = lr.uniform(0, clusters);
                float* row = x.ptr<float>(i);
                lr.fill(z, cv::RNG::NORMAL, 0, 1);
                const float* ce = centers.ptr<float>(c);
                for (int j = 0; j < d; j++)
                    row[j] = ce[j] + (float)lr.gaussian(0.05);
                for (int l = 0; l < latent; l++)
                {
                    const float* bv = bases.ptr<float>(c * latent + l);
                    for (int j = 0; j < d; j++)
                        row[j] += z[l] * bv[j];
                }
            }
        }
    });
    return x;
}

} // namespace zsl_bench

#endif
