// This file is part of the opencv_zsl module (cv::zsl).
// Shared test fixtures: synthetic zero-shot problems with known structure, paths to real data.
#ifndef OPENCV_ZSL_TEST_COMMON_HPP
#define OPENCV_ZSL_TEST_COMMON_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl.hpp"
#include <cstdint>
#include <string>
#include <vector>

namespace opencv_test {
namespace zsltest {

/** A synthetic ZSL problem: prototypes of C classes, features x = f(s_class) + noise. */
struct SyntheticProblem
{
    cv::zsl::ClassPrototypes seen, unseen;
    cv::Mat trainX, trainY;        // seen-class features / labels (rows of `seen`)
    cv::Mat testSeenX, testSeenY;  // held-out seen-class samples, labels index `seen`
    cv::Mat testUnseenX, testUnseenY; // unseen-class samples, labels index `unseen`
};

struct SyntheticOptions
{
    int numSeen = 20, numUnseen = 10;
    int attributeDim = 16, featureDim = 32;
    int trainPerClass = 40, testPerClass = 20;
    double noise = 0.1;
    double classDeviation = 0; // per-class offset unexplained by the prototype (domain shift: seen-class bias)
    bool nonlinear = false;   // features = tanh-MLP of the prototype instead of a linear map
    uint64 seed = 7;
};

SyntheticProblem makeSyntheticProblem(const SyntheticOptions& options = SyntheticOptions());

/** Path of a file under ../shared/data (found from this source file's location or $ZSL_SHARED_DATA);
    empty when absent, so that tests can skip cleanly. */
std::string sharedDataPath(const std::string& relative);

/** Path of a file under the repository's data/ folder. */
std::string repoDataPath(const std::string& relative);

/** A fresh temporary directory for the calling test (removed by the OS's tmp cleaning, not by us). */
std::string tempDir();

/** Writes text to a file (for loader tests). */
void writeTextFile(const std::string& path, const std::string& content);

/** The learned matrix `name` of a trained classifier, read through its serialised form
    (node model/<name>), so tests can compare weights with reference solves. */
cv::Mat learnedMatrix(const cv::Ptr<cv::zsl::ZeroShotClassifier>& zsl, const std::string& name);

/** Writes a small Darknet network (conv 3x3 with `filters` outputs on 32x32x3 input, + global avgpool when
    withPooling) as dir/tiny.cfg and dir/tiny.weights: an encoder backbone that needs no generated files. */
void writeTinyDarknet(const std::string& dir, bool withPooling = true, int filters = 8);

/** A problem with per-class offsets the prototypes do not explain (classDeviation 0.2): a compatibility
    function trained on seen classes over-fits them, the GZSL case of the feature generators' tests. */
SyntheticProblem seenBiasedProblem();

/** Uncalibrated GZSL accuracies (per-class seen, unseen, H) of a trained classifier on the problem's test
    sets; registers the problem's unseen classes and sets GZSL mode with calibration 0. */
cv::zsl::GzslAccuracy uncalibratedGzsl(const cv::Ptr<cv::zsl::ZeroShotClassifier>& zsl, const SyntheticProblem& p);

/** The compatibility baseline of the feature generators' tests: ESZSL (gamma = lambda = 1e-2) trained on
    the problem's seen classes, its uncalibrated GZSL accuracies (uncalibratedGzsl()). */
cv::zsl::GzslAccuracy eszslBaselineGzsl(const SyntheticProblem& p);

/** ZSL per-class top-1 of a trained classifier (unseen classes registered) on p.testUnseenX; sets MODE_ZSL and
    fails the test when a prediction is not an unseen class. */
double unseenOnlyZslTop1(const cv::Ptr<cv::zsl::ZeroShotClassifier>& zsl, const SyntheticProblem& p);

/** The seed contract of an iterative method: trains `params` on p three times (params.seed twice, then
    `otherSeed`), registers p.unseen and expects bit-identical unseen scores for the first two runs and
    different ones (by more than 1e-4) for the third. Returns the first run's progress reports; `first` and
    `firstScores`, when given, receive the first run's classifier and scores. */
std::vector<cv::zsl::TrainingProgress> expectSeedDeterminism(const cv::zsl::ZeroShotClassifier::Params& params,
                                                             const SyntheticProblem& p, uint64_t otherSeed,
                                                             cv::Ptr<cv::zsl::ZeroShotClassifier>* first = nullptr,
                                                             cv::Mat* firstScores = nullptr);

/** Expects one progress report per epoch, in order: epoch 1..epochs, each naming `epochs`, with a finite loss. */
void expectOneReportPerEpoch(const std::vector<cv::zsl::TrainingProgress>& progress, int epochs);

/** Per-class top-1 of predicted top-1 labels (offset subtracted) against truth. */
double perClassTop1(const cv::Mat& predicted, const cv::Mat& truth, int labelOffset = 0);

/** Saves a classifier trained on p with unseen classes 0..8 registered to `fileName` (in tempDir()), loads it,
    and checks bit-identical scores on p.testUnseenX; then adds unseen class 9 to the loaded copy and checks it
    scores all seen + 10 unseen classes finitely (feature generators re-prepare their classifier). Returns the copy. */
cv::Ptr<cv::zsl::ZeroShotClassifier> expectSaveLoadThenAddClass(const cv::Ptr<cv::zsl::ZeroShotClassifier>& zsl,
                                                                const SyntheticProblem& p, const std::string& fileName);

/** Rows around `clusters` Gaussian centres (N(0, 1) entries) with N(0, spread) noise: real embeddings
cluster, uniform random high-d data has no neighbour structure. */
cv::Mat clustered(int n, int d, int clusters, double spread, uint64 seed);

/** Embedding-like rows: clusters spread along `latent` directions each (low intrinsic dimension), the
structure approximate search indexes are built for. */
cv::Mat embeddingLike(int n, int d, int clusters, int latent, uint64 seed);

}} // namespace opencv_test::zsltest

#endif
