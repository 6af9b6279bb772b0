// This file is part of the opencv_zsl module (cv::zsl).
// CADA_VAE (Schoenfeld et al., CVPR 2019): the full training loss against finite differences, the
// warm-up schedules, GZSL quality against a compatibility baseline, determinism, save/load, progress,
// ZSL mode and bad input.
#include "test_precomp.hpp"
#include "test_nn_common.hpp"
#include "methods/cada_vae.hpp"
#include "methods/compatibility_model.hpp"
#include <fstream>
#include <iterator>

namespace opencv_test { namespace {

using namespace cv::zsl;
using cv::zsl::detail::RowMatrixXf;
namespace nn = cv::zsl::detail::nn;

static ZeroShotClassifier::Params cadaParams()
{
    ZeroShotClassifier::Params p;
    p.method = ZeroShotClassifier::CADA_VAE;
    p.hiddenSizes = {64};
    p.latentDim = 8;
    p.syntheticPerClass = 100;
    p.epochs = 40;
    p.batchSize = 32;
    p.learningRate = 1e-3;
    return p;
}

using zsltest::seenBiasedProblem;

TEST(ZSL_CadaVae, warmupFollowsThePaperAndStretchesToTheEpochCount)
{
    using cv::zsl::detail::cadaWarmup;
    cv::zsl::detail::CadaWeights w = cadaWarmup(0, 100);
    EXPECT_EQ(w.beta, 0.f);
    EXPECT_EQ(w.gamma, 0.f);
    EXPECT_EQ(w.delta, 0.f);
    w = cadaWarmup(50, 100);
    EXPECT_NEAR(w.beta, 50.0 / 93 * 0.25, 1e-6);
    EXPECT_NEAR(w.gamma, 29.0 / 54 * 2.37, 1e-6);
    EXPECT_NEAR(w.delta, 8.13, 1e-6);
    w = cadaWarmup(99, 100);
    EXPECT_NEAR(w.beta, 0.25, 1e-6);
    EXPECT_NEAR(w.gamma, 2.37, 1e-6);
    const cv::zsl::detail::CadaWeights half = cadaWarmup(10, 20);
    w = cadaWarmup(50, 100);
    EXPECT_EQ(half.beta, w.beta);
    EXPECT_EQ(half.gamma, w.gamma);
    EXPECT_EQ(half.delta, w.delta);
}

TEST(ZSL_CadaVae, stepGradientMatchesFiniteDifferences)
{
    nn::Rng init(5);
    const int n = 6, d = 7, a = 5, latent = 3;
    cv::zsl::detail::CadaVaeNets nets;
    nets.latent = latent;
    nets.encX = nn::makeMlp(d, {9}, 2 * latent, 0.2f, 0.f, init);
    nets.decX = nn::makeMlp(latent, {8}, d, 0.2f, 0.f, init);
    nets.encA = nn::makeMlp(a, {6}, 2 * latent, 0.2f, 0.f, init);
    nets.decA = nn::makeMlp(latent, {5}, a, 0.2f, 0.f, init);
    const RowMatrixXf x = zsltest::randomMatrix(n, d, init, 1.f), s = zsltest::randomMatrix(n, a, init, 1.f);
    cv::zsl::detail::CadaWeights w;
    w.beta = 0.3f;
    w.gamma = 1.7f;
    w.delta = 2.5f;
    const nn::Rng noise(77); // the same reparameterisation noise for every evaluation
    nn::Rng r0 = noise;
    nets.step(x, s, w, r0);
    std::vector<nn::Parameter*> params = nets.parameters();
    std::vector<RowMatrixXf> analytic;
    for (nn::Parameter* p : params)
        analytic.push_back(p->grad);
    auto loss = [&]() {
        nn::Rng r = noise;
        return nets.step(x, s, w, r);
    };
    ASSERT_EQ(params.size(), 16u); // 4 networks x 2 dense layers x (W, b)
    for (size_t k = 0; k < params.size(); k++)
    {
        SCOPED_TRACE(cv::format("parameter %zu (%s)", k, params[k]->name.c_str()));
        // L1 and ReLU-like kinks: a small step, a tolerance above float rounding.
        EXPECT_LT(zsltest::gradientError(params[k]->value, analytic[k], loss, 2e-3f), 2e-2);
    }
}


TEST(ZSL_CadaVae, raisesGzslHarmonicMeanOverUncalibratedEszslAndSolvesZsl)
{
    zsltest::SyntheticProblem p = seenBiasedProblem();
    const GzslAccuracy base = zsltest::eszslBaselineGzsl(p);

    ZeroShotClassifier::Params cp = cadaParams();
    cp.epochs = 60;
    cp.latentDim = 32;
    cp.learningRate = 3e-3;
    Ptr<ZeroShotClassifier> cada = ZeroShotClassifier::create(cp);
    cada->train(p.trainX, p.trainY, p.seen);
    const GzslAccuracy g = zsltest::uncalibratedGzsl(cada, p);
    std::cout << cv::format("[ cada ] ESZSL s %.3f u %.3f H %.3f; CADA_VAE s %.3f u %.3f H %.3f", base.seen, base.unseen,
                            base.harmonic, g.seen, g.unseen, g.harmonic) << std::endl;
    // Measured: ESZSL s 0.64 u 0.42 H 0.51; CADA_VAE s 0.99 u 0.57 H 0.72.
    EXPECT_GT(g.unseen, base.unseen + 0.1);
    EXPECT_GT(g.harmonic, base.harmonic + 0.15);

    const double zslAcc = zsltest::unseenOnlyZslTop1(cada, p);
    std::cout << "[ cada ] ZSL " << zslAcc << std::endl;
    EXPECT_GT(zslAcc, 0.6); // chance 0.1
}

TEST(ZSL_CadaVae, sameSeedGivesBitIdenticalModelsAndProgressIsReported)
{
    zsltest::SyntheticProblem p = seenBiasedProblem();
    ZeroShotClassifier::Params m = cadaParams();
    m.epochs = 3;
    m.syntheticPerClass = 20;
    m.dropout = 0.1;
    const std::vector<TrainingProgress> seenProgress = zsltest::expectSeedDeterminism(m, p, 99);
    zsltest::expectOneReportPerEpoch(seenProgress, 3);
    for (const TrainingProgress& t : seenProgress)
        EXPECT_GT(t.loss, 0.0);
}

TEST(ZSL_CadaVae, saveLoadGivesIdenticalScoresAndNewClassesStillWork)
{
    zsltest::SyntheticProblem p = seenBiasedProblem();
    ZeroShotClassifier::Params m = cadaParams();
    m.epochs = 3;
    m.syntheticPerClass = 20;
    m.hiddenSizes = {40, 30, 20, 10}; // the four widths of the paper's layout
    Ptr<ZeroShotClassifier> z = ZeroShotClassifier::create(m);
    z->train(p.trainX, p.trainY, p.seen);
    z->setUnseenClasses(p.unseen.subset({0, 1, 2, 3, 4, 5, 6, 7, 8}));
    Ptr<ZeroShotClassifier> back = zsltest::expectSaveLoadThenAddClass(z, p, "cada.yml.gz");
    EXPECT_EQ(back->getParams().method, (int)ZeroShotClassifier::CADA_VAE);

    // A model file whose dimensions do not match its encoders is refused.
    const std::string plain = zsltest::tempDir() + "/cada.yml";
    z->save(plain);
    std::ifstream in(plain);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string key = cv::format("prototypeDim: %d", p.seen.dims());
    const size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, key.size(), cv::format("prototypeDim: %d", p.seen.dims() - 1));
    const std::string broken = zsltest::tempDir() + "/cada_broken.yml";
    zsltest::writeTextFile(broken, text);
    EXPECT_THROW(ZeroShotClassifier::load(broken), cv::Exception);
}

TEST(ZSL_CadaVae, badInputThrows)
{
    ZeroShotClassifier::Params m = cadaParams();
    m.hiddenSizes = {64, 32};
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception); // 1 or 4 widths
    m = cadaParams();
    m.latentDim = 0;
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception);
    m = cadaParams();
    m.syntheticPerClass = 0;
    EXPECT_THROW(ZeroShotClassifier::create(m), cv::Exception);

    zsltest::SyntheticProblem p = seenBiasedProblem();
    m = cadaParams();
    m.epochs = 1;
    Ptr<ZeroShotClassifier> z = ZeroShotClassifier::create(m);
    Mat bad = p.trainX.clone();
    bad.at<float>(3, 2) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(z->train(bad, p.trainY, p.seen), cv::Exception);
    EXPECT_THROW(z->train(p.trainX.colRange(0, 5), p.trainY.rowRange(0, 10), p.seen), cv::Exception);
    Mat wrongLabels = p.trainY.clone();
    wrongLabels.at<int>(0) = p.seen.size() + 3;
    EXPECT_THROW(z->train(p.trainX, wrongLabels, p.seen), cv::Exception);
    EXPECT_FALSE(z->isTrained());
    z->train(p.trainX, p.trainY, p.seen);
    z->setUnseenClasses(p.unseen);
    Mat scores;
    EXPECT_THROW(z->computeScores(p.testUnseenX.colRange(0, 5), scores), cv::Exception); // wrong feature dimension

    // The model itself: no scores before a class table is prepared, none for a foreign prototype.
    std::shared_ptr<cv::zsl::detail::CompatibilityModel> model = cv::zsl::detail::createCompatibilityModel(m);
    RowMatrixXf X = cv::zsl::detail::toEigen(p.trainX, "X"), S = cv::zsl::detail::toEigen(p.seen.vectors, "S");
    model->train(X, cv::zsl::detail::toLabels(p.trainY, p.seen.size(), "y"), S, TrainingCallback());
    EXPECT_THROW(model->scores(X, S), cv::Exception);
    model->prepareClasses(S, (int)S.rows());
    EXPECT_EQ(model->scores(X, S).cols(), S.rows());
    RowMatrixXf foreign = S.topRows(2);
    foreign(0, 0) += 0.25f;
    EXPECT_THROW(model->scores(X, foreign), cv::Exception);
}

}} // namespace
