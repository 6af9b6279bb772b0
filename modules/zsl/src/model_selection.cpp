// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "opencv2/zsl/model_selection.hpp"
#include "eigen_bridge.hpp"
#include "grid_search.hpp"
#include "opencv2/zsl/input_limits.hpp"
#include <limits>
#include <map>
#include <numeric>

namespace cv {
namespace zsl {

using namespace detail;

namespace {

// One numeric axis of a HyperParamGrid: its values (as doubles), its valid range, and how a candidate
// reads and writes it.
struct Axis
{
    const char* name;
    std::vector<double>* real;
    std::vector<int>* integer;
    double lo, hi;
    bool positive; // the value must stay > lo (learning rate, SAE lambda)

    std::vector<double> values() const
    {
        return real ? *real : std::vector<double>(integer->begin(), integer->end());
    }
    void sortValues()
    {
        if (real)
        {
            std::sort(real->begin(), real->end());
            real->erase(std::unique(real->begin(), real->end()), real->end());
        }
        else
        {
            std::sort(integer->begin(), integer->end());
            integer->erase(std::unique(integer->begin(), integer->end()), integer->end());
        }
    }
    void add(double v)
    {
        if (real)
            real->push_back(v);
        else
            integer->push_back((int)v);
        sortValues();
    }
    // The value beyond the low (high) edge that continues the spacing, or NaN when there is none within range.
    double beyond(bool high) const
    {
        const std::vector<double> v = values();
        if (v.size() < 2)
            return std::numeric_limits<double>::quiet_NaN();
        const double a = high ? v.back() : v.front(), b = high ? v[v.size() - 2] : v[1];
        double next = a > 0 && b > 0 ? a * a / b : a + (a - b);
        if (integer)
        {
            next = std::round(next);
            if (high && next <= a)
                next = a + 1;
            if (!high && next >= a)
                next = a - 1;
        }
        if (!high && a <= 0)
            return std::numeric_limits<double>::quiet_NaN(); // a zero regulariser is the natural floor
        const bool inRange = next <= hi && (positive ? next > lo : next >= lo);
        return inRange ? next : std::numeric_limits<double>::quiet_NaN();
    }
};

static std::vector<Axis> axesOf(HyperParamGrid& g)
{
    using namespace bounds;
    return {
        {"eszslGamma", &g.eszslGamma, nullptr, 0, kMaxRegulariser, false},
        {"eszslLambda", &g.eszslLambda, nullptr, 0, kMaxRegulariser, false},
        {"saeLambda", &g.saeLambda, nullptr, 0, kMaxRegulariser, true},
        {"epochs", nullptr, &g.epochs, 1, kMaxEpochs, false},
        {"learningRate", &g.learningRate, nullptr, 0, kMaxLearningRate, true},
        {"hiddenSize", nullptr, &g.hiddenSize, 1, kMaxHiddenSize, false},
    };
}

// Value of axis k in a candidate (the order of axesOf()).
static double axisValue(const ZeroShotClassifier::Params& p, int k)
{
    switch (k)
    {
    case 0: return p.eszslGamma;
    case 1: return p.eszslLambda;
    case 2: return p.saeLambda;
    case 3: return p.epochs;
    case 4: return p.learningRate;
    default: return p.hiddenSizes.size() == 1 ? (double)p.hiddenSizes[0] : -1.0;
    }
}

// Identity of a candidate within one search: the values of every axis (the rest comes from `base`).
static std::vector<double> candidateKey(const ZeroShotClassifier::Params& p)
{
    std::vector<double> key{(double)p.saeDirection};
    for (int k = 0; k < 6; k++)
        key.push_back(axisValue(p, k));
    return key;
}

// Adds a value beyond each (axis, side) for which best sits on that edge and `allowed(k, high)` holds.
static int extendGrid(HyperParamGrid& g, const ZeroShotClassifier::Params& best,
                      const std::function<bool(int, bool)>& allowed)
{
    std::vector<Axis> axes = axesOf(g);
    int added = 0;
    for (int k = 0; k < (int)axes.size(); k++)
    {
        axes[k].sortValues();
        const std::vector<double> v = axes[k].values();
        if (v.size() < 2)
            continue;
        const double value = axisValue(best, k);
        for (bool high : {false, true})
        {
            if (value != (high ? v.back() : v.front()) || !allowed(k, high))
                continue;
            const double next = axes[k].beyond(high);
            if (next == next)
            {
                axes[k].add(next);
                added++;
            }
        }
    }
    return added;
}

} // namespace

std::vector<ZeroShotClassifier::Params> HyperParamGrid::expand(const ZeroShotClassifier::Params& base) const
{
    const std::vector<double> keepGamma{base.eszslGamma}, keepLambda{base.eszslLambda}, keepSae{base.saeLambda};
    const std::vector<double> keepLr{base.learningRate};
    const std::vector<int> keepDir{base.saeDirection}, keepEpochs{base.epochs}, keepHidden{-1};
    const std::vector<double>& gammas = eszslGamma.empty() ? keepGamma : eszslGamma;
    const std::vector<double>& lambdas = eszslLambda.empty() ? keepLambda : eszslLambda;
    const std::vector<double>& saes = saeLambda.empty() ? keepSae : saeLambda;
    const std::vector<int>& dirs = saeDirection.empty() ? keepDir : saeDirection;
    const std::vector<int>& epochList = epochs.empty() ? keepEpochs : epochs;
    const std::vector<double>& lrs = learningRate.empty() ? keepLr : learningRate;
    const std::vector<int>& hidden = hiddenSize.empty() ? keepHidden : hiddenSize;
    std::vector<ZeroShotClassifier::Params> out;
    for (double g : gammas)
        for (double l : lambdas)
            for (double s : saes)
                for (int d : dirs)
                    for (int e : epochList)
                        for (double lr : lrs)
                            for (int h : hidden)
                            {
                                ZeroShotClassifier::Params p = base;
                                p.eszslGamma = g;
                                p.eszslLambda = l;
                                p.saeLambda = s;
                                p.saeDirection = d;
                                p.epochs = e;
                                p.learningRate = lr;
                                if (h > 0)
                                    p.hiddenSizes = std::vector<int>{h};
                                out.push_back(p);
                            }
    return out;
}

int HyperParamGrid::extend(const ZeroShotClassifier::Params& best)
{
    return extendGrid(*this, best, [](int, bool) { return true; });
}

namespace detail {

String describeCandidate(const ZeroShotClassifier::Params& p)
{
    String out = methodName(p.method);
    switch (p.method)
    {
    case ZeroShotClassifier::ESZSL: return out + cv::format(" gamma=%g lambda=%g", p.eszslGamma, p.eszslLambda);
    case ZeroShotClassifier::SAE:
        return out + cv::format(" lambda=%g direction=%s", p.saeLambda, p.saeDirection ? "visual" : "semantic");
    default:
        out += cv::format(" epochs=%d lr=%g hidden=", p.epochs, p.learningRate);
        for (size_t i = 0; i < p.hiddenSizes.size(); i++)
            out += cv::format(i ? "x%d" : "%d", p.hiddenSizes[i]);
        return out;
    }
}

ModelSelectionResult searchGrid(HyperParamGrid grid, const ZeroShotClassifier::Params& base, const CandidateScorer& score)
{
    if (grid.maxExtensions < 0)
        CV_Error(Error::StsOutOfRange, cv::format("zsl model selection: HyperParamGrid::maxExtensions = %d must be >= 0",
                                                  grid.maxExtensions));
    for (Axis& a : axesOf(grid))
        for (double v : a.values())
            if (!(v >= a.lo && v <= a.hi) || (a.positive && v <= a.lo))
                CV_Error(Error::StsOutOfRange, cv::format("zsl model selection: HyperParamGrid::%s holds %g, outside the valid "
                                                          "range of Params::%s", a.name, v, a.name));
    std::map<std::vector<double>, std::vector<double> > cache;
    int folds = -1;
    auto scoreOf = [&](const ZeroShotClassifier::Params& p) -> const std::vector<double>& {
        const std::vector<double> key = candidateKey(p);
        auto it = cache.find(key);
        if (it != cache.end())
            return it->second;
        std::vector<double> s = score(p);
        if (s.empty() || (folds >= 0 && (int)s.size() != folds))
            CV_Error(Error::StsInternal, "zsl model selection: a candidate was scored on a different number of folds");
        folds = (int)s.size();
        double mean = 0;
        for (double v : s)
            mean += v / (double)s.size();
        CV_LOG_INFO(NULL, cv::format("zsl model selection: %s: %.4f", describeCandidate(p).c_str(), mean));
        return cache.emplace(key, s).first->second;
    };
    auto meanOf = [&](const ZeroShotClassifier::Params& p) {
        const std::vector<double>& s = scoreOf(p);
        return std::accumulate(s.begin(), s.end(), 0.0) / (double)s.size();
    };

    ModelSelectionResult result;
    for (;;)
    {
        result.candidates = grid.expand(base);
        if (result.candidates.empty())
            CV_Error(Error::StsBadArg, "zsl model selection: no candidate parameters");
        result.scores.assign(result.candidates.size(), 0.0);
        result.bestIndex = -1;
        for (size_t c = 0; c < result.candidates.size(); c++)
        {
            result.scores[c] = meanOf(result.candidates[c]);
            if (result.bestIndex < 0 || result.scores[c] > result.scores[result.bestIndex])
                result.bestIndex = (int)c;
        }
        const ZeroShotClassifier::Params best = result.candidates[result.bestIndex];
        const double bestScore = result.scores[result.bestIndex];
        // An edge counts when the edge value strictly beats its neighbour on that axis (a plateau is not chased).
        std::vector<Axis> axes = axesOf(grid);
        auto improving = [&](int k, bool high) {
            std::vector<double> v = axes[k].values();
            std::sort(v.begin(), v.end());
            v.erase(std::unique(v.begin(), v.end()), v.end());
            ZeroShotClassifier::Params neighbour = best;
            const double nv = high ? v[v.size() - 2] : v[1];
            switch (k)
            {
            case 0: neighbour.eszslGamma = nv; break;
            case 1: neighbour.eszslLambda = nv; break;
            case 2: neighbour.saeLambda = nv; break;
            case 3: neighbour.epochs = (int)nv; break;
            case 4: neighbour.learningRate = nv; break;
            default: neighbour.hiddenSizes = std::vector<int>{(int)nv}; break;
            }
            return bestScore > meanOf(neighbour);
        };
        bool onEdge = false;
        for (int k = 0; k < (int)axes.size(); k++)
        {
            std::vector<double> v = axes[k].values();
            std::sort(v.begin(), v.end());
            v.erase(std::unique(v.begin(), v.end()), v.end());
            if (v.size() >= 2)
                for (bool high : {false, true})
                    onEdge = onEdge || (axisValue(best, k) == (high ? v.back() : v.front()) && improving(k, high));
        }
        if (!onEdge)
            break;
        if (result.extensions >= grid.maxExtensions)
        {
            result.stoppedAtBound = grid.maxExtensions > 0;
            CV_LOG_INFO(NULL, cv::format("zsl model selection: the best candidate (%s) is on an edge of the grid after %d "
                                         "extension(s), the bound (HyperParamGrid::maxExtensions)",
                                         describeCandidate(best).c_str(), result.extensions));
            break;
        }
        const int added = extendGrid(grid, best, improving);
        if (added == 0)
        {
            result.stoppedAtBound = true;
            CV_LOG_INFO(NULL, cv::format("zsl model selection: the best candidate (%s) is on an edge that is at the range "
                                         "limit of its parameter", describeCandidate(best).c_str()));
            break;
        }
        result.extensions++;
        CV_LOG_INFO(NULL, cv::format("zsl model selection: extension %d/%d: the best candidate (%s, %.4f) is on an edge; "
                                     "%d value(s) added, %d candidates now",
                                     result.extensions, grid.maxExtensions, describeCandidate(best).c_str(), bestScore, added,
                                     (int)grid.expand(base).size()));
    }
    result.best = result.candidates[result.bestIndex];
    result.foldScores.create((int)result.candidates.size(), folds, CV_64F);
    for (size_t c = 0; c < result.candidates.size(); c++)
    {
        const std::vector<double>& s = scoreOf(result.candidates[c]);
        std::copy(s.begin(), s.end(), result.foldScores.ptr<double>((int)c));
    }
    return result;
}

} // namespace detail

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
        CV_LOG_INFO(NULL, cv::format("zsl model selection: candidate %d/%d (%s): %.4f", (int)c + 1, (int)candidates.size(),
                                     describeCandidate(candidates[c]).c_str(), result.scores[c]));
        if (result.bestIndex < 0 || result.scores[c] > result.scores[result.bestIndex])
            result.bestIndex = (int)c;
    }
    result.best = candidates[result.bestIndex];
    result.candidates = candidates;
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

// The rows and folds of one selection: an explicit class-disjoint split (one fold) or k class-disjoint folds.
struct SelectionData
{
    Mat X;
    std::vector<int> y;
    std::vector<std::vector<int> > trains, vals;
};

static SelectionData explicitSplit(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                   InputArray trainIndices, InputArray valIndices, const char* caller)
{
    SelectionData d;
    readSet(features, labels, seen, d.X, d.y);
    d.trains.push_back(toIndices(trainIndices, d.X.rows, cv::format("zsl %s: trainIndices", caller).c_str()));
    d.vals.push_back(toIndices(valIndices, d.X.rows, cv::format("zsl %s: valIndices", caller).c_str()));
    return d;
}

static SelectionData kFoldSplit(InputArray features, InputArray labels, const ClassPrototypes& seen, int folds, uint64 seed)
{
    SelectionData d;
    readSet(features, labels, seen, d.X, d.y);
    classDisjointFolds(labels, seen.size(), folds, seed, d.trains, d.vals);
    return d;
}

ModelSelectionResult selectHyperParams(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                       const std::vector<ZeroShotClassifier::Params>& candidates,
                                       InputArray trainIndices, InputArray valIndices)
{
    const SelectionData d = explicitSplit(features, labels, seen, trainIndices, valIndices, "selectHyperParams");
    return runSelection(d.X, d.y, seen, candidates, d.trains, d.vals);
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
    const SelectionData d = kFoldSplit(features, labels, seen, folds, seed);
    return runSelection(d.X, d.y, seen, candidates, d.trains, d.vals);
}

// The grid search over held-out folds: each candidate trained on trains[f], scored on vals[f].
static ModelSelectionResult runGridSelection(const Mat& X, const std::vector<int>& y, const ClassPrototypes& seen,
                                             const HyperParamGrid& grid, const ZeroShotClassifier::Params& base,
                                             const std::vector<std::vector<int> >& trains,
                                             const std::vector<std::vector<int> >& vals)
{
    return searchGrid(grid, base, [&](const ZeroShotClassifier::Params& p) {
        std::vector<double> s;
        for (size_t f = 0; f < trains.size(); f++)
            s.push_back(heldOutAccuracy(X, y, seen, p, trains[f], vals[f]));
        return s;
    });
}

ModelSelectionResult selectHyperParamsOnGrid(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                             const HyperParamGrid& grid, const ZeroShotClassifier::Params& base,
                                             InputArray trainIndices, InputArray valIndices)
{
    const SelectionData d = explicitSplit(features, labels, seen, trainIndices, valIndices, "selectHyperParamsOnGrid");
    return runGridSelection(d.X, d.y, seen, grid, base, d.trains, d.vals);
}

ModelSelectionResult selectHyperParamsOnGridKFold(InputArray features, InputArray labels, const ClassPrototypes& seen,
                                                  const HyperParamGrid& grid, const ZeroShotClassifier::Params& base,
                                                  int folds, uint64 seed)
{
    const SelectionData d = kFoldSplit(features, labels, seen, folds, seed);
    return runGridSelection(d.X, d.y, seen, grid, base, d.trains, d.vals);
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
