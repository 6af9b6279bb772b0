// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "opencv2/zsl/model_selection.hpp"
#include "eigen_bridge.hpp"
#include <numeric>

namespace cv {
namespace zsl {

using namespace detail;

std::vector<ZeroShotClassifier::Params> HyperParamGrid::expand(const ZeroShotClassifier::Params& base) const
{
    const std::vector<double> keepGamma{base.eszslGamma}, keepLambda{base.eszslLambda}, keepSae{base.saeLambda};
    const std::vector<double>& gammas = eszslGamma.empty() ? keepGamma : eszslGamma;
    const std::vector<double>& lambdas = eszslLambda.empty() ? keepLambda : eszslLambda;
    const std::vector<double>& saes = saeLambda.empty() ? keepSae : saeLambda;
    std::vector<ZeroShotClassifier::Params> out;
    for (double g : gammas)
        for (double l : lambdas)
            for (double s : saes)
            {
                ZeroShotClassifier::Params p = base;
                p.eszslGamma = g;
                p.eszslLambda = l;
                p.saeLambda = s;
                out.push_back(p);
            }
    return out;
}

static std::vector<int> toIndices(InputArray indices, int n, const char* what)
{
    Mat m = indices.getMat();
    if (m.empty())
        CV_Error(Error::StsBadArg, cv::format("%s: empty index set", what));
    // toLabels checks the shape, integrality and the range [0, n).
    std::vector<int> idx = toLabels(m, n, what);
    std::vector<int> sorted = idx;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
        CV_Error(Error::StsBadArg, cv::format("%s: duplicate sample indices", what));
    return idx;
}

// Per-class top-1 of a candidate trained on `train` and tested in ZSL mode on `val` (class-disjoint).
static double heldOutAccuracy(const Mat& X, const std::vector<int>& y, const ClassPrototypes& seen,
                              const ZeroShotClassifier::Params& params,
                              const std::vector<int>& train, const std::vector<int>& val)
{
    // Compact label spaces: training classes, then held-out classes, each in ascending original order.
    std::vector<int> trainMap(seen.size(), -1), valMap(seen.size(), -1), trainClasses, valClasses;
    for (int i : train)
        trainMap[y[i]] = 0;
    for (int i : val)
        valMap[y[i]] = 0;
    for (int c = 0; c < seen.size(); c++)
    {
        if (trainMap[c] >= 0 && valMap[c] >= 0)
            CV_Error(Error::StsBadArg, cv::format("zsl model selection: class '%s' has samples in both the training and the "
                                                  "validation set (the split must be class-disjoint)", seen.names[c].c_str()));
        if (trainMap[c] >= 0)
        {
            trainMap[c] = (int)trainClasses.size();
            trainClasses.push_back(c);
        }
        if (valMap[c] >= 0)
        {
            valMap[c] = (int)valClasses.size();
            valClasses.push_back(c);
        }
    }
    if (trainClasses.size() < 2 || valClasses.size() < 2)
        CV_Error(Error::StsBadArg, cv::format("zsl model selection: the split has %d training and %d validation classes "
                                              "(at least 2 each)", (int)trainClasses.size(), (int)valClasses.size()));

    Mat trainX((int)train.size(), X.cols, X.type()), trainY((int)train.size(), 1, CV_32S);
    for (size_t k = 0; k < train.size(); k++)
    {
        X.row(train[k]).copyTo(trainX.row((int)k));
        trainY.at<int>((int)k) = trainMap[y[train[k]]];
    }
    Mat valX((int)val.size(), X.cols, X.type()), valY((int)val.size(), 1, CV_32S);
    for (size_t k = 0; k < val.size(); k++)
    {
        X.row(val[k]).copyTo(valX.row((int)k));
        valY.at<int>((int)k) = valMap[y[val[k]]];
    }

    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(trainX, trainY, seen.subset(trainClasses));
    zsl->setUnseenClasses(seen.subset(valClasses));
    zsl->setMode(ZeroShotClassifier::MODE_ZSL);
    Mat predicted, scores;
    zsl->predict(valX, predicted, scores, 1);
    Mat local = predicted - (int)trainClasses.size(); // unseen classes follow the seen ones in getClasses()
    return perClassAccuracy(local, valY);
}

static ModelSelectionResult runSelection(const Mat& X, const std::vector<int>& y, const ClassPrototypes& seen,
                                         const std::vector<ZeroShotClassifier::Params>& candidates,
                                         const std::vector<std::vector<int> >& trains,
                                         const std::vector<std::vector<int> >& vals)
{
    if (candidates.empty())
        CV_Error(Error::StsBadArg, "zsl model selection: no candidate parameters");
    const int folds = (int)trains.size();
    ModelSelectionResult result;
    result.foldScores.create((int)candidates.size(), folds, CV_64F);
    result.scores.resize(candidates.size());
    for (size_t c = 0; c < candidates.size(); c++)
    {
        double sum = 0;
        for (int f = 0; f < folds; f++)
        {
            const double acc = heldOutAccuracy(X, y, seen, candidates[c], trains[f], vals[f]);
            result.foldScores.at<double>((int)c, f) = acc;
            sum += acc;
        }
        result.scores[c] = sum / folds;
        CV_LOG_INFO(NULL, cv::format("zsl model selection: candidate %d/%d (%s, eszsl gamma %g lambda %g, sae lambda %g): %.4f",
                                     (int)c + 1, (int)candidates.size(), methodName(candidates[c].method).c_str(),
                                     candidates[c].eszslGamma, candidates[c].eszslLambda, candidates[c].saeLambda,
                                     result.scores[c]));
        if (result.bestIndex < 0 || result.scores[c] > result.scores[result.bestIndex])
            result.bestIndex = (int)c;
    }
    result.best = candidates[result.bestIndex];
    return result;
}

static void readSet(InputArray features, InputArray labels, const ClassPrototypes& seen, Mat& X, std::vector<int>& y)
{
    seen.validate();
    X = features.getMat();
    if (X.empty() || X.channels() != 1 || X.dims != 2)
        CV_Error(Error::StsBadArg, "zsl model selection: features must be a non-empty N x D single-channel matrix");
    y = toLabels(labels, seen.size(), "zsl model selection: labels");
    if ((int)y.size() != X.rows)
        CV_Error(Error::StsBadSize, cv::format("zsl model selection: %d feature rows but %d labels", X.rows, (int)y.size()));
}

ModelSelectionResult selectHyperParams(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                       const std::vector<ZeroShotClassifier::Params>& candidates,
                                       InputArray trainIndices, InputArray valIndices)
{
    Mat X;
    std::vector<int> y;
    readSet(features, labels, seen, X, y);
    std::vector<std::vector<int> > trains{toIndices(trainIndices, X.rows, "zsl selectHyperParams: trainIndices")};
    std::vector<std::vector<int> > vals{toIndices(valIndices, X.rows, "zsl selectHyperParams: valIndices")};
    return runSelection(X, y, seen, candidates, trains, vals);
}

void classDisjointFolds(InputArray labels, int numClasses, int folds, uint64 seed,
                        std::vector<std::vector<int> >& trainIndices, std::vector<std::vector<int> >& valIndices)
{
    if (numClasses < 4 || folds < 2 || folds > numClasses / 2)
        CV_Error(Error::StsOutOfRange, cv::format("zsl classDisjointFolds: %d folds over %d classes (need 2 <= folds <= classes / 2)",
                                                  folds, numClasses));
    std::vector<int> y = toLabels(labels, numClasses, "zsl classDisjointFolds: labels");
    std::vector<int> present(numClasses, 0);
    for (int l : y)
        present[l] = 1;
    for (int c = 0; c < numClasses; c++)
        if (!present[c])
            CV_Error(Error::StsBadArg, cv::format("zsl classDisjointFolds: class %d has no samples", c));

    std::vector<int> order(numClasses);
    std::iota(order.begin(), order.end(), 0);
    cv::RNG rng(seed);
    for (int i = numClasses - 1; i > 0; i--) // Fisher-Yates with cv::RNG: the same folds on every platform
        std::swap(order[i], order[rng.uniform(0, i + 1)]);
    std::vector<int> foldOf(numClasses);
    for (int k = 0; k < numClasses; k++)
        foldOf[order[k]] = k % folds;

    trainIndices.assign(folds, std::vector<int>());
    valIndices.assign(folds, std::vector<int>());
    for (int i = 0; i < (int)y.size(); i++)
        for (int f = 0; f < folds; f++)
            (foldOf[y[i]] == f ? valIndices : trainIndices)[f].push_back(i);
}

ModelSelectionResult selectHyperParamsKFold(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                            const std::vector<ZeroShotClassifier::Params>& candidates,
                                            int folds, uint64 seed)
{
    Mat X;
    std::vector<int> y;
    readSet(features, labels, seen, X, y);
    std::vector<std::vector<int> > trains, vals;
    classDisjointFolds(labels, seen.size(), folds, seed, trains, vals);
    return runSelection(X, y, seen, candidates, trains, vals);
}

double selectCalibrationFromScores(InputArray scoresArg, InputArray labels, int numSeen, GzslAccuracy& accuracy)
{
    Mat scores = scoresArg.getMat();
    if (scores.empty() || scores.channels() != 1 || scores.dims != 2)
        CV_Error(Error::StsBadArg, "zsl selectCalibration: scores must be a non-empty N x C single-channel matrix");
    if (scores.type() != CV_32F)
        scores.convertTo(scores, CV_32F);
    checkFinite(scores, "zsl selectCalibration: scores");
    const int n = scores.rows, numClasses = scores.cols;
    if (numSeen < 1 || numSeen >= numClasses)
        CV_Error(Error::StsOutOfRange, cv::format("zsl selectCalibration: numSeen=%d must be in [1, %d) (number of score columns)",
                                                  numSeen, numClasses));
    std::vector<int> y = toLabels(labels, numClasses, "zsl selectCalibration: labels");
    if ((int)y.size() != n)
        CV_Error(Error::StsBadSize, cv::format("zsl selectCalibration: %d score rows but %d labels", n, (int)y.size()));

    // Best seen and best unseen class of every sample (first maximum, as predict()'s tie rule).
    std::vector<int> seenArg(n), unseenArg(n);
    std::vector<float> seenMax(n), unseenMax(n);
    std::vector<double> threshold(n); // the sample predicts a seen class while gamma <= threshold
    for (int i = 0; i < n; i++)
    {
        const float* row = scores.ptr<float>(i);
        const float* s = std::max_element(row, row + numSeen);
        const float* u = std::max_element(row + numSeen, row + numClasses);
        seenArg[i] = (int)(s - row);
        unseenArg[i] = (int)(u - row);
        seenMax[i] = *s;
        unseenMax[i] = *u;
        threshold[i] = (double)*s - (double)*u;
    }

    // Sweep gamma upwards from -inf (everything predicted seen), switching samples to their unseen
    // choice in threshold order while keeping the per-class accuracy sums up to date.
    std::vector<int> count(numClasses, 0), hits(numClasses, 0);
    for (int i = 0; i < n; i++)
    {
        count[y[i]]++;
        hits[y[i]] += seenArg[i] == y[i];
    }
    int seenPresent = 0, unseenPresent = 0;
    double seenSum = 0, unseenSum = 0;
    for (int c = 0; c < numClasses; c++)
        if (count[c] > 0)
        {
            (c < numSeen ? seenPresent : unseenPresent)++;
            (c < numSeen ? seenSum : unseenSum) += (double)hits[c] / count[c];
        }
    auto harmonicNow = [&]() {
        return harmonicMean(seenPresent ? seenSum / seenPresent : 0.0, unseenPresent ? unseenSum / unseenPresent : 0.0);
    };

    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return threshold[a] < threshold[b]; });
    const double lo = threshold[order.front()], hi = threshold[order.back()];
    const double margin = std::max({(hi - lo) * 1e-3, std::abs(lo) * 1e-3, std::abs(hi) * 1e-3, 1e-6});

    double bestH = harmonicNow(), bestGamma = lo - margin;
    for (int k = 0; k < n;)
    {
        const double t = threshold[order[k]];
        for (; k < n && threshold[order[k]] == t; k++)
        {
            const int i = order[k], c = y[i];
            const int delta = (unseenArg[i] == c) - (seenArg[i] == c);
            if (delta != 0)
            {
                hits[c] += delta;
                (c < numSeen ? seenSum : unseenSum) += (double)delta / count[c];
            }
        }
        const double h = harmonicNow();
        if (h > bestH)
        {
            bestH = h;
            bestGamma = k < n ? 0.5 * (t + threshold[order[k]]) : hi + margin;
        }
    }

    // Report the accuracies with exactly predict()'s float arithmetic at the chosen constant.
    const float g = (float)bestGamma;
    Mat predicted(n, 1, CV_32S), truth(n, 1, CV_32S, y.data());
    for (int i = 0; i < n; i++)
        predicted.at<int>(i) = seenMax[i] - g >= unseenMax[i] ? seenArg[i] : unseenArg[i];
    std::vector<uchar> seenMask(numClasses, 0);
    std::fill(seenMask.begin(), seenMask.begin() + numSeen, (uchar)1);
    accuracy = evaluateGzsl(predicted, truth, seenMask);
    return bestGamma;
}

double selectCalibration(const Ptr<ZeroShotClassifier>& classifier, InputArray features, InputArray labels,
                         GzslAccuracy& accuracy)
{
    if (!classifier || !classifier->isTrained())
        CV_Error(Error::StsBadArg, "zsl selectCalibration: the classifier is null or not trained");
    Mat scores;
    classifier->computeScores(features, scores);
    return selectCalibrationFromScores(scores, labels, classifier->getNumSeenClasses(), accuracy);
}

}} // namespace cv::zsl
