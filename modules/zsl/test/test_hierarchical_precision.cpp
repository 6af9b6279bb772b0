// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <random>

namespace opencv_test { namespace {

using namespace cv::zsl;

/*      root(0)
        /     \
      A(1)    B(2)         z(7): isolated
    /  |  \     \
  a1   a2  a3    b1
  (3)  (4) (5)   (6)                 candidates: a1 a2 a3 b1 (indices 0..3)         */
Ptr<ClassHierarchy> twoBranches(bool isolated = false)
{
    std::vector<String> ids = {"root", "A", "B", "a1", "a2", "a3", "b1"};
    if (isolated)
        ids.push_back("z");
    return ClassHierarchy::create(ids, {"A", "B", "a1", "a2", "a3", "b1"}, {"root", "root", "A", "A", "A", "B"});
}

TEST(ZSL_HierarchicalPrecision, knownAnswersOnHandBuiltHierarchy)
{
    Ptr<ClassHierarchy> h = twoBranches();
    const std::vector<int> candidates = {3, 4, 5, 6};
    // Image 0, truth a1: k=1 set {a1} (R=0); k=2: R=1 adds A (not a candidate), R=2 adds a2, a3 -> {a1,a2,a3};
    //   k=4: R=4 adds b1 -> all.  top [a2, b1, a1, a3]: k=1 0/1, k=2 {a2} 1/2, k=4 4/4.
    // Image 1, truth b1: k=1 {b1}; k=2: B (R=1), root (R=2), A (R=3), a1..a3 (R=4) -> all.
    //   top [b1, a1, a2, a3]: k=1 1, k=2 2/2, k=4 1.
    // Image 2, truth A (an inner node, not a candidate): R=0 gives nothing; R=1 gives a1, a2, a3 (>= 1 and >= 2);
    //   k=4: R=3 reaches b1.  top [b1, a3, a1, a2]: k=1 0, k=2 {a3} 1/2, k=4 1.
    // Means: k=1 (0+1+0)/3 = 1/3, k=2 (0.5+1+0.5)/3 = 2/3, k=4 1.
    Mat top = (Mat_<int>(3, 4) << 1, 3, 0, 2,
                                  3, 0, 1, 2,
                                  3, 2, 0, 1);
    Mat truth = (Mat_<int>(3, 1) << 3, 6, 1);
    const std::vector<double> hp = hierarchicalPrecisionAtK(h, top, truth, candidates, {4, 1, 2}); // any k order
    ASSERT_EQ(hp.size(), 3u);
    EXPECT_DOUBLE_EQ(hp[0], 1.0);
    EXPECT_DOUBLE_EQ(hp[1], 1.0 / 3);
    EXPECT_DOUBLE_EQ(hp[2], 2.0 / 3);
    // hp@1 of images 0 and 1 equals flat hit@1 (the R=0 set is the true label itself when it is a candidate).
    Mat flatTruth = (Mat_<int>(2, 1) << 0, 3);
    EXPECT_DOUBLE_EQ(hierarchicalPrecisionAtK(h, top.rowRange(0, 2), truth.rowRange(0, 2), candidates, {1})[0],
                     hitAtK(top.rowRange(0, 2), flatTruth, 1));
}

TEST(ZSL_HierarchicalPrecision, smallComponentStopsGrowing)
{
    // z is isolated: its correct set can never hold 2 labels, so it is {z}; top [z, a1] scores 1/2.
    Ptr<ClassHierarchy> h = twoBranches(true);
    Mat top = (Mat_<int>(1, 2) << 4, 0);
    Mat truth = (Mat_<int>(1, 1) << 7);
    EXPECT_DOUBLE_EQ(hierarchicalPrecisionAtK(h, top, truth, {3, 4, 5, 6, 7}, {2})[0], 0.5);
}

TEST(ZSL_HierarchicalPrecision, matchesBruteForceReference)
{
    // Random tree of 80 nodes plus a few extra parent edges (a DAG); the reference computes every
    // candidate's distance with hopDistance() and grows the radius exactly as DeViSE's pseudo-code.
    std::mt19937 rng(5);
    const int n = 80;
    std::vector<String> ids, child, parent;
    for (int v = 0; v < n; v++)
        ids.push_back(cv::format("c%d", v));
    for (int v = 1; v < n; v++)
    {
        child.push_back(ids[v]);
        parent.push_back(ids[rng() % v]);
        if (v > 5 && rng() % 6 == 0)
        {
            child.push_back(ids[v]);
            parent.push_back(ids[rng() % v]);
        }
    }
    Ptr<ClassHierarchy> h = ClassHierarchy::create(ids, child, parent);
    std::vector<int> candidates;
    for (int v = 0; v < n; v++)
        if (rng() % 2)
            candidates.push_back(v);
    const int M = (int)candidates.size(), N = 40, K = 20;
    ASSERT_GE(M, K);
    Mat top(N, K, CV_32S), truth(N, 1, CV_32S);
    for (int i = 0; i < N; i++)
    {
        truth.at<int>(i) = rng() % n;
        std::vector<int> perm(M);
        std::iota(perm.begin(), perm.end(), 0);
        std::shuffle(perm.begin(), perm.end(), rng);
        for (int j = 0; j < K; j++)
            top.at<int>(i, j) = perm[j];
    }
    const std::vector<int> ks = {1, 2, 5, 10, 20};
    const std::vector<double> hp = hierarchicalPrecisionAtK(h, top, truth, candidates, ks);
    // The same bits with one thread as with several.
    const int threads = cv::getNumThreads();
    cv::setNumThreads(1);
    const std::vector<double> hp1 = hierarchicalPrecisionAtK(h, top, truth, candidates, ks);
    cv::setNumThreads(threads);
    EXPECT_EQ(hp, hp1);
    for (size_t q = 0; q < ks.size(); q++)
    {
        const int k = ks[q];
        double sum = 0;
        for (int i = 0; i < N; i++)
        {
            std::set<int> correct;
            for (int R = 0; (int)correct.size() < k && R <= n; R++)
                for (int j = 0; j < M; j++)
                {
                    const int d = h->hopDistance(truth.at<int>(i), candidates[j]);
                    if (d >= 0 && d <= R)
                        correct.insert(j);
                }
            int hits = 0;
            for (int j = 0; j < k; j++)
                hits += (int)correct.count(top.at<int>(i, j));
            sum += (double)hits / k;
        }
        EXPECT_NEAR(hp[q], sum / N, 1e-12) << "k=" << k;
    }
}

TEST(ZSL_HierarchicalPrecision, badInputIsRefused)
{
    Ptr<ClassHierarchy> h = twoBranches();
    Mat top = (Mat_<int>(1, 4) << 0, 1, 2, 3);
    Mat truth = (Mat_<int>(1, 1) << 3);
    const std::vector<int> c = {3, 4, 5, 6};
    try
    {
        hierarchicalPrecisionAtK(h, top, truth, {3, 4}, {3}); // k larger than the label set
        FAIL();
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(std::string(e.what()).find("larger than the label set"), std::string::npos) << e.what();
    }
    EXPECT_THROW(hierarchicalPrecisionAtK(h, top, truth, c, {5}), cv::Exception);            // k > K
    EXPECT_THROW(hierarchicalPrecisionAtK(h, top, truth, c, {0}), cv::Exception);
    EXPECT_THROW(hierarchicalPrecisionAtK(h, top, truth, c, {}), cv::Exception);
    EXPECT_THROW(hierarchicalPrecisionAtK(h, top, truth, {3, 4, 5, 3}, {1}), cv::Exception); // duplicate candidate
    EXPECT_THROW(hierarchicalPrecisionAtK(h, top, truth, {3, 4, 5, 99}, {1}), cv::Exception);
    Mat badTop = (Mat_<int>(1, 4) << 0, 1, 2, 4);                                             // not a candidate index
    EXPECT_THROW(hierarchicalPrecisionAtK(h, badTop, truth, c, {4}), cv::Exception);
    Mat badTruth = (Mat_<int>(1, 1) << 7);
    EXPECT_THROW(hierarchicalPrecisionAtK(h, top, badTruth, c, {1}), cv::Exception);
    EXPECT_THROW(hierarchicalPrecisionAtK(Ptr<ClassHierarchy>(), top, truth, c, {1}), cv::Exception);
    Mat twoTruths = (Mat_<int>(2, 1) << 3, 4);
    EXPECT_THROW(hierarchicalPrecisionAtK(h, top, twoTruths, c, {1}), cv::Exception);
}

}} // namespace
