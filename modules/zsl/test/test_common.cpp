// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace opencv_test {
namespace zsltest {

static cv::Mat classFeatures(const cv::Mat& proto, const cv::Mat& W1, const cv::Mat& W2, bool nonlinear)
{
    if (!nonlinear)
        return proto * W1; // 1 x D
    cv::Mat h = proto * W1;
    for (int j = 0; j < h.cols; j++)
        h.at<float>(0, j) = std::tanh(3.0f * h.at<float>(0, j)) + 0.5f * h.at<float>(0, j) * h.at<float>(0, j);
    return h * W2;
}

static void sampleSplit(const cv::Mat& protos, int perClass, const cv::Mat& W1, const cv::Mat& W2,
                        const SyntheticOptions& o, cv::RNG& rng, cv::Mat& X, cv::Mat& Y)
{
    X.create(protos.rows * perClass, o.featureDim, CV_32F);
    Y.create(protos.rows * perClass, 1, CV_32S);
    for (int c = 0; c < protos.rows; c++)
    {
        cv::Mat center = classFeatures(protos.row(c), W1, W2, o.nonlinear);
        if (o.classDeviation > 0)
        {
            cv::Mat offset(1, o.featureDim, CV_32F);
            cv::RNG classRng(o.seed * 7919 + (uint64)c + (uint64)protos.at<float>(c, 0) * 100003);
            classRng.fill(offset, cv::RNG::NORMAL, 0, o.classDeviation);
            center += offset;
        }
        for (int k = 0; k < perClass; k++)
        {
            const int r = c * perClass + k;
            cv::Mat noise(1, o.featureDim, CV_32F);
            rng.fill(noise, cv::RNG::NORMAL, 0, o.noise);
            cv::Mat row = X.row(r);
            cv::add(center, noise, row);
            Y.at<int>(r) = c;
        }
    }
}

SyntheticProblem makeSyntheticProblem(const SyntheticOptions& o)
{
    cv::RNG rng(o.seed);
    const int C = o.numSeen + o.numUnseen;
    cv::Mat protos(C, o.attributeDim, CV_32F);
    rng.fill(protos, cv::RNG::UNIFORM, 0.0, 1.0);
    cv::Mat W1(o.attributeDim, o.featureDim, CV_32F), W2(o.featureDim, o.featureDim, CV_32F);
    rng.fill(W1, cv::RNG::NORMAL, 0.0, 1.0 / std::sqrt((double)o.attributeDim));
    rng.fill(W2, cv::RNG::NORMAL, 0.0, 1.0 / std::sqrt((double)o.featureDim));
    std::vector<cv::String> names;
    for (int c = 0; c < C; c++)
        names.push_back(cv::format("class_%02d", c));

    SyntheticProblem p;
    p.seen = cv::zsl::ClassPrototypes(std::vector<cv::String>(names.begin(), names.begin() + o.numSeen),
                                      protos.rowRange(0, o.numSeen));
    p.unseen = cv::zsl::ClassPrototypes(std::vector<cv::String>(names.begin() + o.numSeen, names.end()),
                                        protos.rowRange(o.numSeen, C));
    sampleSplit(p.seen.vectors, o.trainPerClass, W1, W2, o, rng, p.trainX, p.trainY);
    sampleSplit(p.seen.vectors, o.testPerClass, W1, W2, o, rng, p.testSeenX, p.testSeenY);
    sampleSplit(p.unseen.vectors, o.testPerClass, W1, W2, o, rng, p.testUnseenX, p.testUnseenY);
    return p;
}

std::string sharedDataPath(const std::string& relative)
{
    namespace fs = std::filesystem;
    std::vector<fs::path> roots;
    if (const char* env = std::getenv("ZSL_SHARED_DATA"))
        roots.push_back(env);
    // <repo>/modules/zsl/test/this.cpp -> <repo>/../shared/data
    roots.push_back(fs::path(__FILE__).parent_path() / ".." / ".." / ".." / ".." / "shared" / "data");
    for (const fs::path& r : roots)
    {
        fs::path p = r / relative;
        if (fs::exists(p))
            return p.lexically_normal().string();
    }
    return std::string();
}

std::string repoDataPath(const std::string& relative)
{
    namespace fs = std::filesystem;
    return (fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "data" / relative).lexically_normal().string();
}

std::string tempDir()
{
    namespace fs = std::filesystem;
    static std::atomic<int> counter{0};
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // test_case_name(): opencv_ts bundles GoogleTest 1.8, which has no test_suite_name().
    std::string name = info ? std::string(info->test_case_name()) + "." + info->name() : "zsl";
    for (char& c : name)
        if (c == '/')
            c = '_';
    fs::path dir = fs::temp_directory_path() / cv::format("zsl_test_%d_%d_%s", (int)::getpid(), counter++, name.c_str());
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string();
}

void writeTextFile(const std::string& path, const std::string& content)
{
    std::ofstream f(path, std::ios::binary);
    f << content;
}

void writeTinyDarknet(const std::string& dir, bool withPooling, int filters)
{
    std::string cfg = "[net]\nbatch=1\nwidth=32\nheight=32\nchannels=3\n\n"
                      "[convolutional]\nfilters=" + std::to_string(filters) + "\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n";
    if (withPooling)
        cfg += "[avgpool]\n";
    writeTextFile(dir + "/tiny.cfg", cfg);
    std::ofstream w(dir + "/tiny.weights", std::ios::binary);
    const int32_t header[3] = {0, 2, 0};
    const int64_t seen = 0;
    w.write((const char*)header, sizeof(header));
    w.write((const char*)&seen, sizeof(seen));
    cv::Mat params(1, filters + filters * 3 * 3 * 3, CV_32F);
    cv::RNG rng(11);
    rng.fill(params, cv::RNG::NORMAL, 0.0, 0.3);
    w.write((const char*)params.ptr<float>(), params.total() * sizeof(float));
}

cv::Mat learnedMatrix(const cv::Ptr<cv::zsl::ZeroShotClassifier>& zsl, const std::string& name)
{
    cv::FileStorage fs(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY);
    fs << "root" << "{";
    zsl->write(fs);
    fs << "}";
    cv::FileStorage in(fs.releaseAndGetString(), cv::FileStorage::READ | cv::FileStorage::MEMORY);
    cv::Mat m;
    in["root"]["model"][name] >> m;
    return m;
}

SyntheticProblem seenBiasedProblem()
{
    SyntheticOptions o;
    o.classDeviation = 0.2;
    return makeSyntheticProblem(o);
}

cv::zsl::GzslAccuracy uncalibratedGzsl(const cv::Ptr<cv::zsl::ZeroShotClassifier>& zsl, const SyntheticProblem& p)
{
    using cv::zsl::ZeroShotClassifier;
    zsl->setUnseenClasses(p.unseen);
    zsl->setMode(ZeroShotClassifier::MODE_GZSL);
    zsl->setCalibration(0);
    cv::Mat ls, ss, lu, su;
    zsl->predict(p.testSeenX, ls, ss, 1);
    zsl->predict(p.testUnseenX, lu, su, 1);
    cv::zsl::GzslAccuracy a;
    a.seen = perClassTop1(ls, p.testSeenY, 0);
    a.unseen = perClassTop1(lu, p.testUnseenY, p.seen.size());
    a.harmonic = cv::zsl::harmonicMean(a.seen, a.unseen);
    return a;
}

cv::zsl::GzslAccuracy eszslBaselineGzsl(const SyntheticProblem& p)
{
    cv::zsl::ZeroShotClassifier::Params e;
    e.eszslGamma = e.eszslLambda = 1e-2;
    cv::Ptr<cv::zsl::ZeroShotClassifier> eszsl = cv::zsl::ZeroShotClassifier::create(e);
    eszsl->train(p.trainX, p.trainY, p.seen);
    return uncalibratedGzsl(eszsl, p);
}

double perClassTop1(const cv::Mat& predicted, const cv::Mat& truth, int labelOffset)
{
    cv::Mat p = predicted.col(0) - labelOffset;
    return cv::zsl::perClassAccuracy(p, truth);
}

double unseenOnlyZslTop1(const cv::Ptr<cv::zsl::ZeroShotClassifier>& zsl, const SyntheticProblem& p)
{
    zsl->setMode(cv::zsl::ZeroShotClassifier::MODE_ZSL);
    cv::Mat labels, scores;
    zsl->predict(p.testUnseenX, labels, scores, 1);
    for (int i = 0; i < labels.rows; i++)
        if (labels.at<int>(i) < p.seen.size())
        {
            ADD_FAILURE() << "ZSL prediction " << i << " is seen class " << labels.at<int>(i);
            break;
        }
    return perClassTop1(labels, p.testUnseenY, p.seen.size());
}

std::vector<cv::zsl::TrainingProgress> expectSeedDeterminism(const cv::zsl::ZeroShotClassifier::Params& params,
                                                             const SyntheticProblem& p, uint64_t otherSeed,
                                                             cv::Ptr<cv::zsl::ZeroShotClassifier>* first,
                                                             cv::Mat* firstScores)
{
    cv::zsl::ZeroShotClassifier::Params m = params;
    cv::Mat s[3];
    std::vector<cv::zsl::TrainingProgress> progress;
    for (int run = 0; run < 3; run++)
    {
        if (run == 2)
            m.seed = otherSeed;
        cv::Ptr<cv::zsl::ZeroShotClassifier> z = cv::zsl::ZeroShotClassifier::create(m);
        if (run == 0)
            z->setProgressCallback([&](const cv::zsl::TrainingProgress& t) { progress.push_back(t); });
        z->train(p.trainX, p.trainY, p.seen);
        z->setUnseenClasses(p.unseen);
        z->computeScores(p.testUnseenX, s[run]);
        if (run == 0 && first)
            *first = z;
    }
    EXPECT_EQ(cv::norm(s[0], s[1], cv::NORM_INF), 0.0) << "same seed, different scores";
    EXPECT_GT(cv::norm(s[0], s[2], cv::NORM_INF), 1e-4) << "another seed, same scores";
    if (firstScores)
        *firstScores = s[0];
    return progress;
}

void expectOneReportPerEpoch(const std::vector<cv::zsl::TrainingProgress>& progress, int epochs)
{
    ASSERT_EQ(progress.size(), (size_t)epochs);
    for (size_t e = 0; e < progress.size(); e++)
    {
        EXPECT_EQ(progress[e].epoch, (int)e + 1);
        EXPECT_EQ(progress[e].epochs, epochs);
        EXPECT_TRUE(std::isfinite(progress[e].loss)) << "epoch " << e + 1;
    }
}

cv::Ptr<cv::zsl::ZeroShotClassifier> expectSaveLoadThenAddClass(const cv::Ptr<cv::zsl::ZeroShotClassifier>& zsl,
                                                                const SyntheticProblem& p, const std::string& fileName)
{
    const std::string path = tempDir() + "/" + fileName;
    zsl->save(path);
    cv::Ptr<cv::zsl::ZeroShotClassifier> back = cv::zsl::ZeroShotClassifier::load(path);
    cv::Mat a, b, c;
    zsl->computeScores(p.testUnseenX, a);
    back->computeScores(p.testUnseenX, b);
    EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
    const int idx = back->addClass(p.unseen.names[9], p.unseen.vectors.row(9));
    EXPECT_EQ(idx, p.seen.size() + 9);
    back->computeScores(p.testUnseenX, c);
    EXPECT_EQ(c.cols, p.seen.size() + 10);
    EXPECT_TRUE(cv::checkRange(c));
    return back;
}

cv::Mat clustered(int n, int d, int clusters, double spread, uint64 seed)
{
    cv::RNG rng(seed);
    cv::Mat centers(clusters, d, CV_32F), x(n, d, CV_32F);
    rng.fill(centers, cv::RNG::NORMAL, 0, 1);
    rng.fill(x, cv::RNG::NORMAL, 0, spread);
    for (int i = 0; i < n; i++)
        x.row(i) += centers.row(rng.uniform(0, clusters));
    return x;
}

cv::Mat embeddingLike(int n, int d, int clusters, int latent, uint64 seed)
{
    cv::RNG shared(99), rng(seed);
    cv::Mat centers(clusters, d, CV_32F), bases(clusters * latent, d, CV_32F), x(n, d, CV_32F), z(1, latent, CV_32F);
    shared.fill(centers, cv::RNG::NORMAL, 0, 1);
    shared.fill(bases, cv::RNG::NORMAL, 0, 0.4);
    rng.fill(x, cv::RNG::NORMAL, 0, 0.05);
    for (int i = 0; i < n; i++)
    {
        const int c = rng.uniform(0, clusters);
        rng.fill(z, cv::RNG::NORMAL, 0, 1);
        x.row(i) += centers.row(c) + z * bases.rowRange(c * latent, (c + 1) * latent);
    }
    return x;
}

}} // namespace opencv_test::zsltest
