// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "eigen_bridge.hpp"
#include <numeric>

namespace cv {
namespace zsl {

// Labels as an N x K CV_32S matrix (K = 1 for a plain label vector).
static Mat labelMatrix(InputArray input, const char* what)
{
    Mat m = input.getMat();
    if (m.empty())
        CV_Error(Error::StsBadArg, cv::format("zsl metrics: %s is empty", what));
    if (m.channels() != 1 || m.dims > 2)
        CV_Error(Error::StsBadArg, cv::format("zsl metrics: %s must be a 2-D single-channel matrix", what));
    detail::checkFinite(m, what);
    Mat i32;
    m.convertTo(i32, CV_32S);
    return i32;
}

static Mat truthVector(InputArray input)
{
    Mat t = labelMatrix(input, "truth");
    if (t.rows != 1 && t.cols != 1)
        CV_Error(Error::StsBadArg, cv::format("zsl metrics: truth must be a vector, got %d x %d", t.rows, t.cols));
    return t.reshape(1, (int)t.total());
}

// Predictions N x K aligned with an N-vector of truths (a 1 x N row of single predictions is transposed).
static Mat predictionMatrix(InputArray input, int n)
{
    Mat p = labelMatrix(input, "predicted");
    if (p.rows == 1 && p.cols == n && n != 1)
        p = p.reshape(1, n);
    if (p.rows != n)
        CV_Error(Error::StsBadSize, cv::format("zsl metrics: %d predictions for %d truths", p.rows, n));
    return p;
}

static void checkLabel(int label, const char* what, int index)
{
    if (label < 0)
        CV_Error(Error::StsOutOfRange, cv::format("zsl metrics: negative label %d in %s at %d", label, what, index));
}

// Per-class hit rate of the first k predictions; classes absent from truth get -1.
static std::vector<double> perClassHits(const Mat& pred, const Mat& truth, int k)
{
    const int n = truth.rows;
    int maxLabel = 0;
    for (int i = 0; i < n; i++)
    {
        checkLabel(truth.at<int>(i), "truth", i);
        maxLabel = std::max(maxLabel, truth.at<int>(i));
    }
    std::vector<double> hits(maxLabel + 1, 0.0), counts(maxLabel + 1, 0.0);
    for (int i = 0; i < n; i++)
    {
        const int t = truth.at<int>(i);
        const int* row = pred.ptr<int>(i);
        counts[t] += 1;
        if (std::find(row, row + k, t) != row + k)
            hits[t] += 1;
    }
    for (size_t c = 0; c < hits.size(); c++)
        hits[c] = counts[c] > 0 ? hits[c] / counts[c] : -1.0;
    return hits;
}

static double meanOfPresent(const std::vector<double>& perClass)
{
    double sum = 0;
    int n = 0;
    for (double a : perClass)
        if (a >= 0)
        {
            sum += a;
            n++;
        }
    return n ? sum / n : 0.0;
}

double perClassAccuracy(InputArray predicted, InputArray truth, std::vector<double>& perClass)
{
    Mat t = truthVector(truth);
    Mat p = predictionMatrix(predicted, t.rows);
    perClass = perClassHits(p, t, 1);
    return meanOfPresent(perClass);
}

double perClassAccuracy(InputArray predicted, InputArray truth)
{
    std::vector<double> perClass;
    return perClassAccuracy(predicted, truth, perClass);
}

static void checkK(const Mat& p, int k)
{
    if (k < 1 || k > p.cols)
        CV_Error(Error::StsOutOfRange, cv::format("zsl metrics: k=%d but predictions have %d columns", k, p.cols));
}

double hitAtK(InputArray topK, InputArray truth, int k)
{
    Mat t = truthVector(truth);
    Mat p = predictionMatrix(topK, t.rows);
    checkK(p, k);
    int hits = 0;
    for (int i = 0; i < t.rows; i++)
    {
        const int* row = p.ptr<int>(i);
        hits += std::find(row, row + k, t.at<int>(i)) != row + k;
    }
    return (double)hits / t.rows;
}

double perClassHitAtK(InputArray topK, InputArray truth, int k)
{
    Mat t = truthVector(truth);
    Mat p = predictionMatrix(topK, t.rows);
    checkK(p, k);
    return meanOfPresent(perClassHits(p, t, k));
}

double harmonicMean(double seen, double unseen)
{
    return seen + unseen > 0 ? 2 * seen * unseen / (seen + unseen) : 0.0;
}

GzslAccuracy evaluateGzsl(InputArray predicted, InputArray truth, const std::vector<uchar>& seenMask)
{
    Mat t = truthVector(truth);
    Mat p = predictionMatrix(predicted, t.rows);
    std::vector<double> perClass = perClassHits(p, t, 1);
    if (perClass.size() > seenMask.size())
        CV_Error(Error::StsOutOfRange, cv::format("zsl evaluateGzsl: truth has label %d but seenMask covers %d classes",
                                                  (int)perClass.size() - 1, (int)seenMask.size()));
    std::vector<double> seen(perClass.size(), -1.0), unseen(perClass.size(), -1.0);
    for (size_t c = 0; c < perClass.size(); c++)
        (seenMask[c] ? seen : unseen)[c] = perClass[c];
    GzslAccuracy r;
    r.seen = meanOfPresent(seen);
    r.unseen = meanOfPresent(unseen);
    r.harmonic = harmonicMean(r.seen, r.unseen);
    return r;
}

void confusionMatrix(InputArray predicted, InputArray truth, int numClasses, OutputArray confusion)
{
    if (numClasses < 1)
        CV_Error(Error::StsOutOfRange, cv::format("zsl confusionMatrix: numClasses=%d must be positive", numClasses));
    Mat t = truthVector(truth);
    Mat p = predictionMatrix(predicted, t.rows);
    Mat c = Mat::zeros(numClasses, numClasses, CV_32S);
    for (int i = 0; i < t.rows; i++)
    {
        const int a = t.at<int>(i), b = p.at<int>(i, 0);
        if (a < 0 || a >= numClasses || b < 0 || b >= numClasses)
            CV_Error(Error::StsOutOfRange, cv::format("zsl confusionMatrix: sample %d has labels (%d, %d) outside [0, %d)",
                                                      i, a, b, numClasses));
        c.at<int>(a, b)++;
    }
    c.copyTo(confusion);
}

}} // namespace cv::zsl

namespace cv {
namespace zsl {

std::vector<double> hierarchicalPrecisionAtK(const Ptr<ClassHierarchy>& hierarchy, InputArray topK, InputArray truth,
                                             const std::vector<int>& candidates, const std::vector<int>& ks)
{
    const char* where = "hierarchicalPrecisionAtK";
    if (!hierarchy)
        CV_Error(Error::StsNullPtr, cv::format("%s: null hierarchy", where));
    const Mat t = truthVector(truth);
    const Mat p = predictionMatrix(topK, t.rows);
    const int n = hierarchy->size(), M = (int)candidates.size(), N = t.rows;
    if (ks.empty())
        CV_Error(Error::StsBadArg, cv::format("%s: no k given", where));
    for (int k : ks)
    {
        checkK(p, k);
        if (k > M)
            CV_Error(Error::StsOutOfRange, cv::format("%s: k=%d is larger than the label set (%d candidates)", where, k, M));
    }
    std::vector<int> candOf(n, -1);
    for (int j = 0; j < M; j++)
    {
        const int v = candidates[j];
        if (v < 0 || v >= n)
            CV_Error(Error::StsOutOfRange, cv::format("%s: candidate %d is node %d, outside [0, %d)", where, j, v, n));
        if (candOf[v] >= 0)
            CV_Error(Error::StsBadArg, cv::format("%s: duplicate candidate '%s' (entries %d and %d)", where,
                                                  hierarchy->getId(v).c_str(), candOf[v], j));
        candOf[v] = j;
    }
    for (int i = 0; i < N; i++)
    {
        const int y = t.at<int>(i);
        if (y < 0 || y >= n)
            CV_Error(Error::StsOutOfRange, cv::format("%s: truth %d at %d is not a node of the hierarchy [0, %d)", where, y, i, n));
        for (int j = 0; j < p.cols; j++)
        {
            const int c = p.at<int>(i, j);
            if (c < 0 || c >= M)
                CV_Error(Error::StsOutOfRange, cv::format("%s: prediction %d at (%d, %d) is not a candidate index [0, %d)",
                                                          where, c, i, j, M));
        }
    }
    // The undirected graph once, as compressed adjacency (the BFS below runs once per distinct true label).
    std::vector<int> start(n + 1, 0), adj;
    for (int v = 0; v < n; v++)
    {
        const std::vector<int> up = hierarchy->getParents(v), down = hierarchy->getChildren(v);
        adj.insert(adj.end(), up.begin(), up.end());
        adj.insert(adj.end(), down.begin(), down.end());
        start[v + 1] = (int)adj.size();
    }
    // Samples grouped by true label.
    std::vector<int> order(N);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return t.at<int>(a) < t.at<int>(b); });
    std::vector<int> groupStart;
    for (int i = 0; i < N; i++)
        if (i == 0 || t.at<int>(order[i]) != t.at<int>(order[i - 1]))
            groupStart.push_back(i);
    groupStart.push_back(N);
    const int K = (int)ks.size();
    std::vector<int> kOrder(K); // radii grow with k: computed in ascending k
    std::iota(kOrder.begin(), kOrder.end(), 0);
    std::stable_sort(kOrder.begin(), kOrder.end(), [&](int a, int b) { return ks[a] < ks[b]; });
    Mat perSample(N, K, CV_64F); // summed in sample order at the end: the same bits for any thread count
    cv::parallel_for_(Range(0, (int)groupStart.size() - 1), [&](const Range& r) {
        std::vector<int> seen(n, 0), candDist(M, -1), reached, frontier, next;
        int stamp = 0;
        for (int g = r.start; g < r.end; g++)
        {
            const int y = t.at<int>(order[groupStart[g]]);
            stamp++;
            seen[y] = stamp;
            frontier.assign(1, y);
            reached.clear();
            if (candOf[y] >= 0)
            {
                candDist[candOf[y]] = 0;
                reached.push_back(candOf[y]);
            }
            // radius[q]: the smallest R whose ball holds >= ks[q] candidates (or the whole component).
            std::vector<int> radius(K);
            int R = 0;
            for (int q : kOrder)
            {
                while ((int)reached.size() < ks[q] && !frontier.empty())
                {
                    R++;
                    next.clear();
                    for (int v : frontier)
                        for (int e = start[v]; e < start[v + 1]; e++)
                        {
                            const int u = adj[e];
                            if (seen[u] == stamp)
                                continue;
                            seen[u] = stamp;
                            next.push_back(u);
                            if (candOf[u] >= 0)
                            {
                                candDist[candOf[u]] = R;
                                reached.push_back(candOf[u]);
                            }
                        }
                    frontier.swap(next);
                }
                radius[q] = R;
            }
            for (int s = groupStart[g]; s < groupStart[g + 1]; s++)
            {
                const int i = order[s];
                const int* row = p.ptr<int>(i);
                for (int q = 0; q < K; q++)
                {
                    int hits = 0;
                    for (int j = 0; j < ks[q]; j++)
                        hits += candDist[row[j]] >= 0 && candDist[row[j]] <= radius[q];
                    perSample.at<double>(i, q) = (double)hits / ks[q];
                }
            }
            for (int c : reached)
                candDist[c] = -1;
        }
    });
    std::vector<double> out(K, 0.0);
    for (int i = 0; i < N; i++)
        for (int q = 0; q < K; q++)
            out[q] += perSample.at<double>(i, q);
    for (double& v : out)
        v /= N;
    return out;
}

}} // namespace cv::zsl
