// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include "opencv2/zsl/training_statistics.hpp"
#include <fstream>
#include <iterator>

namespace opencv_test { namespace {

using namespace cv::zsl;
using zsltest::learnedMatrix;
using zsltest::makeSyntheticProblem;

ZeroShotClassifier::Params paramsOf(int method)
{
    ZeroShotClassifier::Params params;
    params.method = method;
    params.eszslGamma = 0.5;
    params.eszslLambda = 2.0;
    params.saeLambda = 0.3;
    return params;
}

const char* weightName(int method) { return method == ZeroShotClassifier::ESZSL ? "V" : "W"; }

//! Statistics of rows [begin, end) of the training set.
Ptr<TrainingStatistics> statsOf(const zsltest::SyntheticProblem& p, int begin, int end)
{
    Ptr<TrainingStatistics> s = TrainingStatistics::create(p.trainX.cols, p.seen.size());
    s->add(p.trainX.rowRange(begin, end), p.trainY.rowRange(begin, end));
    return s;
}

double relativeDifference(const Mat& a, const Mat& b)
{
    return cv::norm(a, b, NORM_INF) / std::max(cv::norm(b, NORM_INF), 1e-30);
}

class ZSL_TrainingStatisticsMethod : public ::testing::TestWithParam<int> {};

TEST_P(ZSL_TrainingStatisticsMethod, shardsMergedEqualTrainingOnConcatenatedData)
{
    const int method = GetParam();
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<ZeroShotClassifier> direct = ZeroShotClassifier::create(paramsOf(method));
    direct->train(p.trainX, p.trainY, p.seen);

    // Three uneven shards (the samples are ordered by class, so shards hold different classes).
    const int n = p.trainX.rows, cuts[4] = {0, n / 5, n / 2 + 3, n};
    Ptr<TrainingStatistics> total = statsOf(p, cuts[0], cuts[1]);
    for (int s = 1; s < 3; s++)
        total->merge(statsOf(p, cuts[s], cuts[s + 1]));
    EXPECT_EQ(total->numSamples(), n);
    Ptr<ZeroShotClassifier> sharded = total->train(paramsOf(method), p.seen);

    const Mat wd = learnedMatrix(direct, weightName(method)), ws = learnedMatrix(sharded, weightName(method));
    ASSERT_EQ(wd.size(), ws.size());
    // Within 1e-5 (the bound asked for) by far: statistics in double leave only the float rounding of the weights.
    EXPECT_LE(relativeDifference(ws, wd), 1e-6);

    direct->setUnseenClasses(p.unseen);
    sharded->setUnseenClasses(p.unseen);
    Mat ld, sd, ls, ss;
    direct->predict(p.testUnseenX, ld, sd, 3);
    sharded->predict(p.testUnseenX, ls, ss, 3);
    EXPECT_EQ(cv::norm(ld, ls, NORM_INF), 0) << "identical top-3 predictions";
    // One shard holding everything: SAE's train() is these statistics and its solve, so the very same model;
    // ESZSL's train() forms the Gram matrix in float blocks and refines the solve against X in double, so the
    // weights agree to the float rounding of V.
    Ptr<ZeroShotClassifier> whole = statsOf(p, 0, n)->train(paramsOf(method), p.seen);
    if (method == ZeroShotClassifier::SAE)
        EXPECT_EQ(cv::norm(learnedMatrix(whole, weightName(method)), wd, NORM_INF), 0);
    else
        EXPECT_LE(relativeDifference(learnedMatrix(whole, weightName(method)), wd), 1e-6);
}

TEST(ZSL_TrainingStatistics, eszslDirectTrainingMatchesDoubleStatisticsOnAnIllConditionedProblem)
{
    // Positive, strongly correlated features (mean 10, as after a ReLU) and a small gamma: the Gram matrix's
    // condition number amplifies float rounding, and 3 blocks of 4096 rows each round differently. The refined
    // direct solve must agree with the double statistics (one pass and two uneven shards) to 1e-5 (issue 15's bound).
    const int n = 3 * 4096 + 500, d = 48, c = 6, a = 10;
    Mat X(n, d, CV_32F), y(n, 1, CV_32S), S(c, a, CV_32F);
    cv::RNG rng(11);
    Mat base(1, d, CV_32F);
    rng.fill(base, RNG::UNIFORM, 9, 11);
    for (int i = 0; i < n; i++)
    {
        y.at<int>(i) = i % c;
        Mat row = X.row(i);
        rng.fill(row, RNG::NORMAL, 0, 0.05);
        row += base * (1 + 0.01 * (i % c));
    }
    rng.fill(S, RNG::UNIFORM, -1, 1);
    std::vector<cv::String> names;
    for (int k = 0; k < c; k++)
        names.push_back(cv::format("class_%d", k));
    const ClassPrototypes seen(names, S);
    ZeroShotClassifier::Params params = paramsOf(ZeroShotClassifier::ESZSL);
    params.eszslGamma = 1e-3;
    Ptr<ZeroShotClassifier> direct = ZeroShotClassifier::create(params), again = ZeroShotClassifier::create(params);
    direct->train(X, y, seen);
    again->train(X, y, seen);
    Ptr<TrainingStatistics> whole = TrainingStatistics::create(d, c), first = TrainingStatistics::create(d, c),
                            second = TrainingStatistics::create(d, c);
    whole->add(X, y);
    first->add(X.rowRange(0, 5000), y.rowRange(0, 5000));
    second->add(X.rowRange(5000, n), y.rowRange(5000, n));
    first->merge(second);
    const Mat vd = learnedMatrix(direct, "V"), vs = learnedMatrix(whole->train(params, seen), "V"),
              vm = learnedMatrix(first->train(params, seen), "V");
    EXPECT_LE(relativeDifference(vd, vs), 1e-5);
    EXPECT_LE(relativeDifference(vm, vs), 1e-5);
    EXPECT_EQ(cv::norm(learnedMatrix(again, "V"), vd, NORM_INF), 0) << "not deterministic";
}

TEST_P(ZSL_TrainingStatisticsMethod, saveLoadRoundTripTrainsTheSameModel)
{
    const int method = GetParam();
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<TrainingStatistics> s = statsOf(p, 0, p.trainX.rows);
    const std::string path = zsltest::tempDir() + "/stats.zslstats";
    s->save(path);
    Ptr<TrainingStatistics> back = TrainingStatistics::load(path);
    EXPECT_EQ(back->featureDim(), s->featureDim());
    EXPECT_EQ(back->numClasses(), s->numClasses());
    EXPECT_EQ(back->numSamples(), s->numSamples());
    EXPECT_EQ(cv::norm(back->getGram(), s->getGram(), NORM_INF), 0);
    EXPECT_EQ(cv::norm(back->getClassSums(), s->getClassSums(), NORM_INF), 0);
    EXPECT_EQ(cv::norm(back->getClassCounts(), s->getClassCounts(), NORM_INF), 0);
    const Mat a = learnedMatrix(s->train(paramsOf(method), p.seen), weightName(method));
    const Mat b = learnedMatrix(back->train(paramsOf(method), p.seen), weightName(method));
    EXPECT_EQ(cv::norm(a, b, NORM_INF), 0);
    // An engine's own reduction of the matrices rebuilds the same statistics.
    Ptr<TrainingStatistics> rebuilt = TrainingStatistics::fromMatrices(s->getGram(), s->getClassSums(), s->getClassCounts());
    const Mat c = learnedMatrix(rebuilt->train(paramsOf(method), p.seen), weightName(method));
    EXPECT_EQ(cv::norm(a, c, NORM_INF), 0);
}

INSTANTIATE_TEST_CASE_P(ZSL_TrainingStatistics, ZSL_TrainingStatisticsMethod,
                        ::testing::Values((int)ZeroShotClassifier::ESZSL, (int)ZeroShotClassifier::SAE));

TEST(ZSL_TrainingStatistics, statisticsAreTheSumsOverSamples)
{
    zsltest::SyntheticOptions o;
    o.numSeen = 4;
    o.trainPerClass = 5;
    o.featureDim = 6;
    zsltest::SyntheticProblem p = makeSyntheticProblem(o);
    Ptr<TrainingStatistics> s = statsOf(p, 0, p.trainX.rows);
    Mat X;
    p.trainX.convertTo(X, CV_64F);
    EXPECT_LE(cv::norm(s->getGram(), X.t() * X, NORM_INF), 1e-12 * cv::norm(X.t() * X, NORM_INF));
    Mat sums = Mat::zeros(4, 6, CV_64F), counts = Mat::zeros(4, 1, CV_64F);
    for (int i = 0; i < X.rows; i++)
    {
        sums.row(p.trainY.at<int>(i)) += X.row(i);
        counts.at<double>(p.trainY.at<int>(i)) += 1;
    }
    EXPECT_LE(cv::norm(s->getClassSums(), sums, NORM_INF), 1e-12);
    EXPECT_EQ(cv::norm(s->getClassCounts(), counts, NORM_INF), 0);
    // Converted input (CV_64F, a non-continuous view) gives the statistics of the in-place CV_32F path.
    Ptr<TrainingStatistics> converted = TrainingStatistics::create(6, 4), strided = TrainingStatistics::create(6, 4);
    converted->add(X, p.trainY);
    Mat wide;
    cv::hconcat(p.trainX, p.trainX, wide);
    strided->add(wide.colRange(0, 6), p.trainY);
    EXPECT_EQ(cv::norm(converted->getGram(), s->getGram(), NORM_INF), 0);
    EXPECT_EQ(cv::norm(strided->getGram(), s->getGram(), NORM_INF), 0);
    EXPECT_EQ(cv::norm(strided->getClassSums(), s->getClassSums(), NORM_INF), 0);
}

TEST(ZSL_TrainingStatistics, mergeIsAssociativeAndDeterministic)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    const int n = p.trainX.rows;
    std::vector<Ptr<TrainingStatistics>> parts;
    for (int s = 0; s < 4; s++)
        parts.push_back(statsOf(p, s * n / 4, (s + 1) * n / 4));
    // ((a + b) + c) + d against (a + b) + (c + d).
    Ptr<TrainingStatistics> left = parts[0]->clone();
    for (int s = 1; s < 4; s++)
        left->merge(parts[s]);
    Ptr<TrainingStatistics> ab = parts[0]->clone(), cd = parts[2]->clone();
    ab->merge(parts[1]);
    cd->merge(parts[3]);
    ab->merge(cd);
    EXPECT_LE(relativeDifference(ab->getGram(), left->getGram()), 1e-12);
    EXPECT_LE(relativeDifference(ab->getClassSums(), left->getClassSums()), 1e-12);
    EXPECT_EQ(cv::norm(ab->getClassCounts(), left->getClassCounts(), NORM_INF), 0);
    // The same order again: bit-identical, and exactly symmetric.
    Ptr<TrainingStatistics> again = parts[0]->clone();
    for (int s = 1; s < 4; s++)
        again->merge(parts[s]);
    EXPECT_EQ(cv::norm(again->getGram(), left->getGram(), NORM_INF), 0);
    EXPECT_EQ(cv::norm(left->getGram(), left->getGram().t(), NORM_INF), 0);
    // clone() is deep: merging into the clone leaves the original.
    const double before = parts[0]->numSamples();
    EXPECT_EQ(before, n / 4);
    EXPECT_EQ(left->numSamples(), n);
    // Merging with itself doubles.
    Ptr<TrainingStatistics> twice = parts[1]->clone();
    twice->merge(twice);
    EXPECT_EQ(cv::norm(twice->getGram(), 2 * parts[1]->getGram(), NORM_INF), 0);
}

TEST(ZSL_TrainingStatistics, manyBlocksAccumulateInDouble)
{
    // Rows of mean 10 (positive features, as after a ReLU): a float Gram matrix would carry ~1e-7 relative error;
    // 17 blocks (of 4096 rows at D = 3) accumulated in double match the double reference and two shards to 1e-12.
    const int n = 65536 + 1000, d = 3, c = 2;
    Mat X(n, d, CV_32F), y(n, 1, CV_32S);
    cv::RNG rng(3);
    rng.fill(X, RNG::UNIFORM, 9, 11);
    for (int i = 0; i < n; i++)
        y.at<int>(i) = i % c;
    Ptr<TrainingStatistics> all = TrainingStatistics::create(d, c), first = TrainingStatistics::create(d, c),
                            second = TrainingStatistics::create(d, c), again = TrainingStatistics::create(d, c);
    all->add(X, y);
    again->add(X, y);
    first->add(X.rowRange(0, 30000), y.rowRange(0, 30000));
    second->add(X.rowRange(30000, n), y.rowRange(30000, n));
    first->merge(second);
    Mat X64;
    X.convertTo(X64, CV_64F);
    const Mat ref = X64.t() * X64;
    EXPECT_LE(relativeDifference(all->getGram(), ref), 1e-12);
    EXPECT_LE(relativeDifference(first->getGram(), ref), 1e-12);
    EXPECT_LE(relativeDifference(first->getClassSums(), all->getClassSums()), 1e-12);
    EXPECT_EQ(cv::norm(all->getGram(), again->getGram(), NORM_INF), 0) << "not deterministic";
    EXPECT_EQ(all->numSamples(), n);
}

TEST(ZSL_TrainingStatistics, selectClassesDropsEmptyClassesOnly)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    // Labels against a larger table: the seen classes at rows 1, 3, 5, ... of 2C classes.
    const int C = p.seen.size();
    Mat wide = p.trainY * 2 + 1;
    Ptr<TrainingStatistics> s = TrainingStatistics::create(p.trainX.cols, 2 * C);
    s->add(p.trainX, wide);
    std::vector<int> odd;
    for (int c = 0; c < C; c++)
        odd.push_back(2 * c + 1);
    Ptr<TrainingStatistics> picked = s->selectClasses(odd);
    const Mat a = learnedMatrix(picked->train(paramsOf(ZeroShotClassifier::ESZSL), p.seen), "V");
    const Mat b = learnedMatrix(statsOf(p, 0, p.trainX.rows)->train(paramsOf(ZeroShotClassifier::ESZSL), p.seen), "V");
    EXPECT_EQ(cv::norm(a, b, NORM_INF), 0);
    EXPECT_THROW(s->selectClasses({1, 2}), cv::Exception);        // leaves out class 3, which has samples
    EXPECT_THROW(s->selectClasses({1, 1}), cv::Exception);        // repeated
    EXPECT_THROW(s->selectClasses({-1}), cv::Exception);          // out of range
}

TEST(ZSL_TrainingStatistics, badInputsThrowAndAddNothing)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    const int D = p.trainX.cols, C = p.seen.size();
    Ptr<TrainingStatistics> s = statsOf(p, 0, 20);
    const Mat gram = s->getGram();
    EXPECT_THROW(s->add(p.trainX.colRange(0, D - 1), p.trainY), cv::Exception);         // dimension mismatch
    Mat unknown = p.trainY.clone();
    unknown.at<int>(3) = C;
    EXPECT_THROW(s->add(p.trainX, unknown), cv::Exception);                             // unknown label
    Mat nan = p.trainX.clone();
    nan.at<float>(5, 2) = std::numeric_limits<float>::quiet_NaN();
    try
    {
        s->add(nan, p.trainY);
        ADD_FAILURE() << "NaN accepted";
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(e.err.find("row 5"), std::string::npos) << e.err;
    }
    EXPECT_THROW(s->add(p.trainX, p.trainY.rowRange(0, 10)), cv::Exception);           // label count
    EXPECT_THROW(s->add(Mat(), Mat()), cv::Exception);                                  // empty
    EXPECT_EQ(cv::norm(s->getGram(), gram, NORM_INF), 0) << "a failed add() changed the statistics";
    EXPECT_EQ(s->numSamples(), 20);

    EXPECT_THROW(s->merge(TrainingStatistics::create(D + 1, C)), cv::Exception);        // shard of another dimension
    EXPECT_THROW(s->merge(TrainingStatistics::create(D, C + 1)), cv::Exception);
    EXPECT_THROW(s->merge(TrainingStatistics::create(D, C, true)), cv::Exception);      // normalised vs not
    EXPECT_THROW(s->merge(Ptr<TrainingStatistics>()), cv::Exception);
    EXPECT_THROW(TrainingStatistics::create(0, C), cv::Exception);
    EXPECT_THROW(TrainingStatistics::create(D, 0), cv::Exception);

    ZeroShotClassifier::Params mlp;
    mlp.method = ZeroShotClassifier::MLP;
    EXPECT_THROW(s->train(mlp, p.seen), cv::Exception);                                 // not closed-form
    ZeroShotClassifier::Params normalized;
    normalized.normalizeFeatures = true;
    EXPECT_THROW(s->train(normalized, p.seen), cv::Exception);
    EXPECT_THROW(s->train(ZeroShotClassifier::Params(), p.unseen), cv::Exception);      // 10 prototypes, 20 classes
    EXPECT_THROW(TrainingStatistics::create(D, C)->train(ZeroShotClassifier::Params(), p.seen), cv::Exception); // no samples

    Mat asym = gram.clone();
    asym.at<double>(0, 1) += 1;
    EXPECT_THROW(TrainingStatistics::fromMatrices(asym, s->getClassSums(), s->getClassCounts()), cv::Exception);
    Mat frac = s->getClassCounts();
    frac.at<double>(0) = 0.5;
    EXPECT_THROW(TrainingStatistics::fromMatrices(gram, s->getClassSums(), frac), cv::Exception);
    EXPECT_THROW(TrainingStatistics::fromMatrices(gram, s->getClassSums().rowRange(0, 3), frac), cv::Exception);
}

TEST(ZSL_TrainingStatistics, normalizedStatisticsTrainTheNormalizingClassifier)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    ZeroShotClassifier::Params params;
    params.normalizeFeatures = true;
    Ptr<ZeroShotClassifier> direct = ZeroShotClassifier::create(params);
    direct->train(p.trainX, p.trainY, p.seen);
    Ptr<TrainingStatistics> s = TrainingStatistics::create(p.trainX.cols, p.seen.size(), true);
    s->add(p.trainX, p.trainY);
    EXPECT_EQ(cv::norm(learnedMatrix(s->train(params, p.seen), "V"), learnedMatrix(direct, "V"), NORM_INF), 0);
}

TEST(ZSL_TrainingStatistics, corruptTruncatedAndHostileFilesThrow)
{
    zsltest::SyntheticProblem p = makeSyntheticProblem();
    Ptr<TrainingStatistics> s = statsOf(p, 0, p.trainX.rows);
    const std::string dir = zsltest::tempDir(), good = dir + "/good.zslstats";
    s->save(good);
    std::ifstream in(good, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(bytes.size(), 24 + 8 * (32 * 32 + 20 * 32 + 20) + 4u);
    auto expectThrow = [&](const std::string& content, const char* why) {
        const std::string path = dir + "/bad.zslstats";
        writeFileAtomically(path, content);
        EXPECT_THROW(TrainingStatistics::load(path), cv::Exception) << why;
    };
    expectThrow(bytes.substr(0, bytes.size() - 9), "truncated");
    expectThrow(bytes.substr(0, 10), "no header");
    expectThrow(std::string(), "empty");
    std::string flipped = bytes;
    flipped[24 + 8 * 100 + 3] ^= 0x10;
    expectThrow(flipped, "checksum");
    std::string magic = bytes;
    magic[0] = 'X';
    expectThrow(magic, "magic");
    std::string hostile = bytes;
    const uint32_t huge = 65536;
    std::memcpy(&hostile[16], &huge, 4); // D = 65536: 32 GiB of Gram matrix that the file does not hold
    expectThrow(hostile, "hostile dimension");
    std::string version = bytes;
    version[8] = 9;
    expectThrow(version, "version");
    EXPECT_THROW(TrainingStatistics::load(dir + "/missing.zslstats"), cv::Exception);
    EXPECT_THROW(TrainingStatistics::load("/dev/zero"), cv::Exception);
    // A failed save keeps the good file.
    EXPECT_THROW(s->save(dir + "/no/such/dir/x.zslstats"), cv::Exception);
    EXPECT_NO_THROW(TrainingStatistics::load(good));
}

}} // namespace
