// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <Eigen/Dense>
#include <opencv2/core/eigen.hpp>

namespace opencv_test { namespace {

using namespace cv::zsl;
using zsltest::makeSyntheticProblem;

using zsltest::learnedMatrix;
using MatD = Eigen::MatrixXd;

// The training problem in double with an explicit Y in {-1, 1}, for reference solves of the closed form.
struct DenseProblem
{
    MatD X, Y, S;
};

DenseProblem denseProblem(const zsltest::SyntheticProblem& p)
{
    DenseProblem d;
    cv::cv2eigen(p.trainX, d.X);
    cv::cv2eigen(p.seen.vectors, d.S);
    d.Y = MatD::Constant(p.trainX.rows, p.seen.size(), -1.0);
    for (int i = 0; i < p.trainX.rows; i++)
        d.Y(i, p.trainY.at<int>(i)) = 1.0;
    return d;
}

TEST(ZSL_ESZSL, unseenAccuracyOnSyntheticProblem)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    ZeroShotClassifier::Params params;
    params.method = ZeroShotClassifier::ESZSL;
    params.eszslGamma = 1e-2;
    params.eszslLambda = 1e-2;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    Mat labels, scores;
    zsl->predict(p.testUnseenX, labels, scores, 1);
    const double acc = zsltest::perClassTop1(labels, p.testUnseenY, p.seen.size());
    EXPECT_GT(acc, 0.9);
}

TEST(ZSL_ESZSL, weightsEqualDirectSolveOfTheClosedForm)
{
    zsltest::SyntheticOptions o;
    o.featureDim = 24;
    o.attributeDim = 10;
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    ZeroShotClassifier::Params params;
    params.eszslGamma = 0.5;
    params.eszslLambda = 2.0;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(p.trainX, p.trainY, p.seen);
    Mat V = learnedMatrix(zsl, "V");

    // Reference in double precision, straight from the paper's formula with an explicit Y in {-1, 1}.
    const DenseProblem dp = denseProblem(p);
    const MatD &X = dp.X, &Y = dp.Y, &S = dp.S;
    const int d = p.trainX.cols, a = p.seen.dims();
    MatD left = X.transpose() * X + 0.5 * MatD::Identity(d, d);
    MatD right = S.transpose() * S + 2.0 * MatD::Identity(a, a);
    MatD Vref = left.inverse() * X.transpose() * Y * S * right.inverse();

    ASSERT_EQ(V.rows, d);
    ASSERT_EQ(V.cols, a);
    MatD Vgot;
    cv::cv2eigen(V, Vgot);
    EXPECT_LT((Vgot - Vref).norm() / Vref.norm(), 1e-4);
}

// gamma = 0 with fewer samples than feature dimensions: X^T X is singular, Cholesky fails and the LDLT
// fallback must still return a finite solution of the normal equations (X^T X) V (S^T S + lambda I) = X^T Y S.
TEST(ZSL_ESZSL, semiDefiniteSystemFallsBackToLdlt)
{
    zsltest::SyntheticOptions o;
    o.featureDim = 64;
    o.attributeDim = 10;
    o.numSeen = 5;
    o.trainPerClass = 4; // 5 seen classes x 4 = 20 samples < 64 dimensions
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    ASSERT_LT(p.trainX.rows, p.trainX.cols);
    ZeroShotClassifier::Params params;
    params.eszslGamma = 0;
    params.eszslLambda = 1.0;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    ASSERT_NO_THROW(zsl->train(p.trainX, p.trainY, p.seen));
    Mat V = learnedMatrix(zsl, "V");
    ASSERT_TRUE(cv::checkRange(V));

    const DenseProblem dp = denseProblem(p);
    const MatD &X = dp.X, &Y = dp.Y, &S = dp.S;
    const int a = p.seen.dims();
    MatD Vd;
    cv::cv2eigen(V, Vd);
    const MatD rhs = X.transpose() * Y * S;
    const MatD lhs = X.transpose() * X * Vd * (S.transpose() * S + MatD::Identity(a, a));
    EXPECT_LT((lhs - rhs).norm() / rhs.norm(), 1e-3);
}

// Training reads continuous CV_32F features in place; other layouts are converted first. Both must give the
// same model, and a NaN/Inf feature must be named by row and column on either path, for every method.
TEST(ZSL_ESZSL, inPlaceAndConvertedTrainingInputAgree)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> inPlace = ZeroShotClassifier::create(), converted = ZeroShotClassifier::create();
    inPlace->train(p.trainX, p.trainY, p.seen);
    Mat wide(p.trainX.rows, p.trainX.cols + 3, CV_32F, Scalar(0));
    p.trainX.copyTo(wide.colRange(0, p.trainX.cols));
    converted->train(wide.colRange(0, p.trainX.cols), p.trainY, p.seen); // not continuous: copied
    EXPECT_LE(cv::norm(learnedMatrix(inPlace, "V"), learnedMatrix(converted, "V"), NORM_INF), 1e-6);
}

TEST(ZSL_ESZSL, nonFiniteTrainingFeaturesAreNamedForEveryMethod)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    for (int method : {ZeroShotClassifier::ESZSL, ZeroShotClassifier::SAE, ZeroShotClassifier::DEVISE,
                       ZeroShotClassifier::ALE, ZeroShotClassifier::MLP, ZeroShotClassifier::CONSE})
        for (bool continuous : {true, false})
        {
            SCOPED_TRACE(cv::format("method %d, continuous %d", method, (int)continuous));
            ZeroShotClassifier::Params params;
            params.method = method;
            params.epochs = 1;
            Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
            Mat wide(p.trainX.rows, p.trainX.cols + 2, CV_32F, Scalar(0));
            p.trainX.copyTo(wide.colRange(0, p.trainX.cols));
            Mat X = continuous ? p.trainX.clone() : wide.colRange(0, p.trainX.cols);
            X.at<float>(11, 2) = std::numeric_limits<float>::quiet_NaN();
            try
            {
                zsl->train(X, p.trainY, p.seen);
                ADD_FAILURE() << "NaN feature accepted";
            }
            catch (const cv::Exception& e)
            {
                EXPECT_NE(e.err.find("row 11, column 2"), std::string::npos) << e.err;
            }
            EXPECT_FALSE(zsl->isTrained());
        }
}

// The finiteness scan runs in row stripes over cv::parallel_for_: on an input of many stripes the error must
// still name the first non-finite value in row-major order, wherever the stripes that see one finish.
TEST(ZSL_ESZSL, nonFiniteScoringFeaturesAreNamedExactlyAcrossScanStripes)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create();
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    const int dim = p.trainX.cols, stripeRows = (1 << 16) / dim, rows = 8 * stripeRows; // eight stripes
    Mat X(rows, dim, CV_32F, Scalar(0.5f));
    Mat scores;
    zsl->computeScores(X, scores);
    EXPECT_EQ(scores.rows, rows);
    const int nanRow = 5 * stripeRows + 7, infRow = 7 * stripeRows + 1;
    X.at<float>(rows - 1, dim - 1) = std::numeric_limits<float>::infinity();
    X.at<float>(nanRow, 3) = std::numeric_limits<float>::quiet_NaN();
    X.at<float>(infRow, 0) = -std::numeric_limits<float>::infinity();
    try
    {
        zsl->computeScores(X, scores);
        ADD_FAILURE() << "non-finite features accepted";
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(e.err.find(cv::format("row %d, column 3", nanRow)), std::string::npos) << e.err;
    }
    X.at<float>(nanRow, 3) = 0.5f;
    X.at<float>(infRow, 0) = 0.5f;
    EXPECT_THROW(zsl->computeScores(X, scores), cv::Exception); // the last value of the last stripe
}

// ESZSL's train() finds non-finite features through its double class sums (the classifier skips its scan):
// the first bad value in row-major order is still named, and opposite infinities in one class sum (whose
// sum is NaN, not Inf) or a single bad value in the last row of a chunk are caught as well.
TEST(ZSL_ESZSL, nonFiniteTrainingFeaturesAreNamedThroughTheClassSums)
{
    zsltest::SyntheticOptions o;
    o.trainPerClass = 120; // 2,400 rows: three chunks of class sums
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    auto trainError = [&](const Mat& X) -> std::string {
        try
        {
            ZeroShotClassifier::create()->train(X, p.trainY, p.seen);
        }
        catch (const cv::Exception& e)
        {
            return e.err;
        }
        return std::string();
    };
    ASSERT_EQ(trainError(p.trainX), "");
    const int rows = p.trainX.rows, cols = p.trainX.cols;
    {
        Mat X = p.trainX.clone();
        X.at<float>(rows - 1, cols - 1) = inf;
        X.at<float>(rows / 2, 2) = nan;
        X.at<float>(rows / 2 + 1, 0) = -inf;
        const std::string err = trainError(X);
        EXPECT_NE(err.find(cv::format("zsl train: features: non-finite value (NaN or Inf) at row %d, column 2", rows / 2)),
                  std::string::npos) << err;
    }
    {
        // +Inf and -Inf in the same class and column: their double sum is NaN.
        Mat X = p.trainX.clone();
        const int label = p.trainY.at<int>(3);
        int other = -1;
        for (int i = 4; i < rows && other < 0; i++)
            if (p.trainY.at<int>(i) == label)
                other = i;
        ASSERT_GT(other, 0);
        X.at<float>(3, 1) = inf;
        X.at<float>(other, 1) = -inf;
        EXPECT_NE(trainError(X).find("at row 3, column 1"), std::string::npos);
    }
    for (int row : {0, rows - 1})
    {
        Mat X = p.trainX.clone();
        X.at<float>(row, cols - 1) = -inf;
        EXPECT_NE(trainError(X).find(cv::format("at row %d, column %d", row, cols - 1)), std::string::npos) << row;
    }
    // The largest finite floats sum to a finite double: accepted (the solve itself may then refuse, but
    // not as a non-finite feature).
    Mat big = p.trainX.clone();
    big.row(0).setTo(Scalar(std::numeric_limits<float>::max()));
    EXPECT_EQ(trainError(big).find("non-finite value"), std::string::npos);
}

}} // namespace
