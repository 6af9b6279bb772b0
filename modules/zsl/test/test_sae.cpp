// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <Eigen/Dense>

namespace opencv_test { namespace {

using namespace cv::zsl;
using zsltest::makeSyntheticProblem;

// Reads the learned matrix `name` of a trained classifier through its serialised form.
static Mat learnedMatrix(const Ptr<ZeroShotClassifier>& zsl, const std::string& name)
{
    FileStorage fs(".yml", FileStorage::WRITE | FileStorage::MEMORY);
    fs << "root" << "{";
    zsl->write(fs);
    fs << "}";
    FileStorage in(fs.releaseAndGetString(), FileStorage::READ | FileStorage::MEMORY);
    Mat m;
    in["root"]["model"][name] >> m;
    return m;
}

static ZeroShotClassifier::Params saeParams(int direction, double lambda = 0.2)
{
    ZeroShotClassifier::Params params;
    params.method = ZeroShotClassifier::SAE;
    params.saeDirection = direction;
    params.saeLambda = lambda;
    return params;
}

class ZSL_SAE_Direction : public ::testing::TestWithParam<int> {};

TEST_P(ZSL_SAE_Direction, unseenAccuracyOnSyntheticProblem)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(saeParams(GetParam()));
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    Mat labels, scores;
    zsl->predict(p.testUnseenX, labels, scores, 1);
    const double acc = zsltest::perClassTop1(labels, p.testUnseenY, p.seen.size());
    EXPECT_GT(acc, 0.9);
    // Cosine scores.
    double lo, hi;
    cv::minMaxLoc(scores, &lo, &hi);
    EXPECT_LE(hi, 1.0 + 1e-5);
    EXPECT_GE(lo, -1.0 - 1e-5);
}

TEST_P(ZSL_SAE_Direction, saveLoadGivesBitIdenticalScores)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(saeParams(GetParam()));
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    const std::string path = zsltest::tempDir() + "/sae.yml.gz";
    zsl->save(path);
    Ptr<ZeroShotClassifier> loaded = ZeroShotClassifier::load(path);
    EXPECT_EQ(loaded->getParams().method, (int)ZeroShotClassifier::SAE);
    EXPECT_EQ(loaded->getParams().saeDirection, GetParam());
    Mat a, b, ea, eb;
    zsl->computeScores(p.testUnseenX, a);
    loaded->computeScores(p.testUnseenX, b);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(cv::norm(a, b, NORM_INF), 0.0);
    zsl->predictAttributes(p.testSeenX, ea);
    loaded->predictAttributes(p.testSeenX, eb);
    EXPECT_EQ(cv::norm(ea, eb, NORM_INF), 0.0);
}

INSTANTIATE_TEST_CASE_P(Directions, ZSL_SAE_Direction,
                        ::testing::Values((int)ZeroShotClassifier::SAE_SEMANTIC_SPACE,
                                          (int)ZeroShotClassifier::SAE_VISUAL_SPACE));

// W against a dense solve of the defining Sylvester equation, vectorised with Kronecker products:
// (I_D (x) S S^T + lambda X X^T (x) I_A) vec(W) = (1 + lambda) vec(S X^T).
static void expectWeightsMatchKroneckerSolve(const zsltest::SyntheticProblem& p, double lambda)
{
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(saeParams(ZeroShotClassifier::SAE_SEMANTIC_SPACE, lambda));
    zsl->train(p.trainX, p.trainY, p.seen);
    Mat W = learnedMatrix(zsl, "W");

    using MatD = Eigen::MatrixXd;
    const int n = p.trainX.rows, d = p.trainX.cols, a = p.seen.dims();
    MatD X(d, n), S(a, n); // the paper's layout: one sample per column
    for (int i = 0; i < n; i++)
    {
        for (int j = 0; j < d; j++)
            X(j, i) = p.trainX.at<float>(i, j);
        for (int j = 0; j < a; j++)
            S(j, i) = p.seen.vectors.at<float>(p.trainY.at<int>(i), j);
    }
    const MatD SSt = S * S.transpose(), XXt = X * X.transpose(), C = (1 + lambda) * S * X.transpose();
    MatD K = MatD::Zero(a * d, a * d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            K.block(i * a, j * a, a, a) = lambda * XXt(j, i) * MatD::Identity(a, a) + (i == j ? SSt : MatD::Zero(a, a));
    // Minimum-norm solution, the one the model returns when the equation is singular.
    const Eigen::VectorXd vecW = K.completeOrthogonalDecomposition().solve(Eigen::Map<const Eigen::VectorXd>(C.data(), a * d));
    const MatD Wref = Eigen::Map<const MatD>(vecW.data(), a, d);
    // The reference really solves the equation.
    ASSERT_LT((SSt * Wref + lambda * Wref * XXt - C).norm() / C.norm(), 1e-9);

    ASSERT_EQ(W.rows, a);
    ASSERT_EQ(W.cols, d);
    MatD Wgot(a, d);
    for (int i = 0; i < a; i++)
        for (int j = 0; j < d; j++)
            Wgot(i, j) = W.at<float>(i, j);
    EXPECT_LT((Wgot - Wref).norm() / Wref.norm(), 1e-4) << "lambda = " << lambda;
}

TEST(ZSL_SAE, weightsEqualDirectSolveOfTheSylvesterEquation)
{
    zsltest::SyntheticOptions o;
    o.featureDim = 24;
    o.attributeDim = 10;
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    for (double lambda : {0.05, 0.2, 5.0})
        expectWeightsMatchKroneckerSolve(p, lambda);
}

TEST(ZSL_SAE, moreAttributesThanSeenClassesAndFewSamples)
{
    // A > C makes S S^T singular and N < D makes X X^T singular, so the Sylvester operator is singular
    // too; the equation stays consistent and the model must give its minimum-norm solution.
    zsltest::SyntheticOptions o;
    o.numSeen = 6;
    o.attributeDim = 9;
    o.featureDim = 40;
    o.trainPerClass = 5;
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    expectWeightsMatchKroneckerSolve(p, 0.5);
}

TEST(ZSL_SAE, predictAttributesIsTheEncoderOutput)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(saeParams(ZeroShotClassifier::SAE_VISUAL_SPACE));
    zsl->train(p.trainX, p.trainY, p.seen);
    Mat W = learnedMatrix(zsl, "W"), attrs;
    zsl->predictAttributes(p.testSeenX, attrs);
    Mat expected = p.testSeenX * W.t();
    ASSERT_EQ(attrs.size(), expected.size());
    EXPECT_LT(cv::norm(attrs, expected, NORM_INF), 1e-4);
}

TEST(ZSL_SAE, badParametersRaise)
{
    ZeroShotClassifier::Params params = saeParams(ZeroShotClassifier::SAE_SEMANTIC_SPACE, 0.0);
    EXPECT_THROW(ZeroShotClassifier::create(params), cv::Exception);
    params = saeParams(5);
    EXPECT_THROW(ZeroShotClassifier::create(params), cv::Exception);
}

}} // namespace
