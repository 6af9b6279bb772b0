// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"

namespace opencv_test { namespace {

using namespace cv::zsl;

TEST(ZSL_Metrics, perClassAccuracyIsMeanOfClassAccuracies)
{
    // class 0: 3 of 4 right, class 1: 1 of 1 right, class 2: 0 of 1 -> (0.75 + 1 + 0) / 3, not 4/6.
    Mat truth = (Mat_<int>(6, 1) << 0, 0, 0, 0, 1, 2);
    Mat pred = (Mat_<int>(6, 1) << 0, 0, 0, 1, 1, 0);
    std::vector<double> perClass;
    EXPECT_NEAR(perClassAccuracy(pred, truth, perClass), (0.75 + 1.0 + 0.0) / 3, 1e-12);
    ASSERT_EQ(perClass.size(), 3u);
    EXPECT_DOUBLE_EQ(perClass[0], 0.75);
    EXPECT_DOUBLE_EQ(perClass[2], 0.0);
}

TEST(ZSL_Metrics, absentClassesAreNotAveraged)
{
    Mat truth = (Mat_<int>(3, 1) << 0, 0, 3);
    Mat pred = (Mat_<int>(3, 1) << 0, 1, 3);
    std::vector<double> perClass;
    EXPECT_NEAR(perClassAccuracy(pred, truth, perClass), (0.5 + 1.0) / 2, 1e-12);
    EXPECT_EQ(perClass[1], -1.0);
}

TEST(ZSL_Metrics, hitAtK)
{
    Mat truth = (Mat_<int>(4, 1) << 0, 1, 2, 3);
    Mat top = (Mat_<int>(4, 3) << 0, 1, 2,
                                   2, 1, 0,
                                   0, 1, 3,
                                   3, 0, 1);
    EXPECT_DOUBLE_EQ(hitAtK(top, truth, 1), 0.5);
    EXPECT_DOUBLE_EQ(hitAtK(top, truth, 2), 0.75);
    EXPECT_DOUBLE_EQ(hitAtK(top, truth, 3), 0.75);
    EXPECT_THROW(hitAtK(top, truth, 4), cv::Exception);
    EXPECT_THROW(hitAtK(top, truth, 0), cv::Exception);
}

TEST(ZSL_Metrics, gzslHarmonicMean)
{
    // classes 0,1 seen; 2 unseen. seen: class0 1/2, class1 1/1 -> 0.75; unseen: class2 1/4.
    Mat truth = (Mat_<int>(7, 1) << 0, 0, 1, 2, 2, 2, 2);
    Mat pred = (Mat_<int>(7, 1) << 0, 1, 1, 2, 0, 0, 1);
    std::vector<uchar> seenMask = {1, 1, 0};
    GzslAccuracy r = evaluateGzsl(pred, truth, seenMask);
    EXPECT_DOUBLE_EQ(r.seen, 0.75);
    EXPECT_DOUBLE_EQ(r.unseen, 0.25);
    EXPECT_NEAR(r.harmonic, 2 * 0.75 * 0.25 / 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(harmonicMean(0, 0), 0.0);
    EXPECT_THROW(evaluateGzsl(pred, truth, std::vector<uchar>{1, 1}), cv::Exception);
}

TEST(ZSL_Metrics, confusionMatrixCounts)
{
    Mat truth = (Mat_<int>(4, 1) << 0, 0, 1, 1);
    Mat pred = (Mat_<int>(4, 1) << 0, 1, 1, 1);
    Mat c;
    confusionMatrix(pred, truth, 2, c);
    Mat expected = (Mat_<int>(2, 2) << 1, 1, 0, 2);
    EXPECT_EQ(cv::norm(c, expected, NORM_INF), 0);
    EXPECT_THROW(confusionMatrix(pred, truth, 1, c), cv::Exception);
}

TEST(ZSL_Metrics, badInputRaises)
{
    Mat truth = (Mat_<int>(3, 1) << 0, 1, 2);
    EXPECT_THROW(perClassAccuracy(Mat(), truth), cv::Exception);
    Mat tooFew = (Mat_<int>(2, 1) << 0, 1);
    Mat withNaN = (Mat_<float>(3, 1) << 0, NAN, 1);
    Mat good = (Mat_<int>(3, 1) << 0, 1, 2), negative = (Mat_<int>(3, 1) << 0, -1, 2);
    EXPECT_THROW(perClassAccuracy(tooFew, truth), cv::Exception);
    EXPECT_THROW(perClassAccuracy(withNaN, truth), cv::Exception);
    EXPECT_THROW(perClassAccuracy(good, negative), cv::Exception);
}

}} // namespace
