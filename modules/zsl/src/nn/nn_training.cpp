// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "nn/nn_training.hpp"

namespace cv {
namespace zsl {
namespace detail {
namespace nn {

ClassSplit splitClasses(const std::vector<int>& labels, int numClasses, double fraction, Rng& rng)
{
    if (!(fraction >= 0 && fraction < 1))
        CV_Error(Error::StsOutOfRange, cv::format("zsl: validationFraction %g must be in [0, 1)", fraction));
    std::vector<int> count(std::max(numClasses, 0), 0);
    for (int y : labels)
    {
        if (y < 0 || y >= numClasses)
            CV_Error(Error::StsOutOfRange, cv::format("zsl: label %d outside [0, %d)", y, numClasses));
        count[y]++;
    }
    std::vector<int> present;
    for (int c = 0; c < numClasses; c++)
        if (count[c] > 0)
            present.push_back(c);

    ClassSplit split;
    std::vector<int> held;
    if (fraction > 0)
    {
        const int numPresent = (int)present.size();
        if (numPresent < 4)
            CV_Error(Error::StsBadArg, cv::format("zsl: a class-disjoint validation split (validationFraction %g) needs at least "
                                                  "4 seen classes with samples, got %d", fraction, numPresent));
        // At least 2 held-out classes (a 1-way "classification" always scores 100%) and 2 kept.
        const int numHeld = std::min(std::max((int)std::lround(fraction * numPresent), 2), numPresent - 2);
        held = present;
        shuffleIndices(held, rng);
        held.resize(numHeld);
        std::sort(held.begin(), held.end());
    }
    std::vector<int> index(std::max(numClasses, 0), -1); // class -> index in its side, with side flag
    std::vector<char> isHeld(std::max(numClasses, 0), 0);
    for (int c : held)
        isHeld[c] = 1;
    for (int c : present)
    {
        std::vector<int>& side = isHeld[c] ? split.valClasses : split.trainClasses;
        index[c] = (int)side.size();
        side.push_back(c);
    }
    for (size_t i = 0; i < labels.size(); i++)
    {
        const int y = labels[i];
        if (isHeld[y])
        {
            split.valRows.push_back((int)i);
            split.valLabels.push_back(index[y]);
        }
        else
        {
            split.trainRows.push_back((int)i);
            split.trainLabels.push_back(index[y]);
        }
    }
    return split;
}

void gatherRows(const RowRefXf& m, const int* rows, int n, RowMatrixXf& out)
{
    out.resize(n, m.cols());
    for (int i = 0; i < n; i++)
    {
        CV_DbgAssert(rows[i] >= 0 && rows[i] < m.rows());
        out.row(i) = m.row(rows[i]);
    }
}

RowMatrixXf gatherRows(const RowRefXf& m, const std::vector<int>& rows)
{
    RowMatrixXf out;
    gatherRows(m, rows.data(), (int)rows.size(), out);
    return out;
}

std::vector<int> gatherLabels(const std::vector<int>& labels, const int* rows, int n)
{
    std::vector<int> out(n);
    for (int i = 0; i < n; i++)
        out[i] = labels[rows[i]];
    return out;
}

double perClassTop1(const RowMatrixXf& scores, const std::vector<int>& labels)
{
    CV_Assert((Eigen::Index)labels.size() == scores.rows() && scores.cols() > 0);
    std::vector<int> hit(scores.cols(), 0), total(scores.cols(), 0);
    for (Eigen::Index i = 0; i < scores.rows(); i++)
    {
        Eigen::Index best = 0;
        scores.row(i).maxCoeff(&best);
        const int y = labels[i];
        CV_Assert(y >= 0 && y < scores.cols());
        total[y]++;
        hit[y] += best == y;
    }
    double sum = 0;
    int classes = 0;
    for (size_t c = 0; c < total.size(); c++)
        if (total[c] > 0)
        {
            sum += (double)hit[c] / total[c];
            classes++;
        }
    return classes ? sum / classes : 0.0;
}

RowMatrixXf cosineSimilarity(const RowMatrixXf& A, const RowMatrixXf& B)
{
    CV_Assert(A.cols() == B.cols());
    const Eigen::VectorXf na = A.rowwise().norm().cwiseMax(1e-12f).cwiseInverse();
    const Eigen::VectorXf nb = B.rowwise().norm().cwiseMax(1e-12f).cwiseInverse();
    RowMatrixXf s = productForRows(A, B.transpose());
    s = na.asDiagonal() * s * nb.asDiagonal();
    return s;
}

EpochOptions epochOptionsFrom(const ZeroShotClassifier::Params& params)
{
    EpochOptions o;
    o.epochs = params.epochs;
    o.batchSize = params.batchSize;
    o.patience = params.patience;
    return o;
}

EpochSummary runEpochs(int numRows, const EpochOptions& options, Rng& rng, const EpochFunctions& fn,
                       const TrainingCallback& progress)
{
    if (numRows < 1)
        CV_Error(Error::StsBadArg, "zsl: no training rows");
    if (options.epochs < 1 || options.batchSize < 1 || options.patience < 1)
        CV_Error(Error::StsOutOfRange, cv::format("zsl: epochs (%d), batchSize (%d) and patience (%d) must be positive",
                                                  options.epochs, options.batchSize, options.patience));
    CV_Assert(fn.step);
    const bool validating = (bool)fn.validate;
    CV_Assert(!validating || (fn.saveBest && fn.restoreBest));

    std::vector<int> order(numRows);
    for (int i = 0; i < numRows; i++)
        order[i] = i;
    EpochSummary summary;
    int sinceBest = 0;
    for (int epoch = 1; epoch <= options.epochs; epoch++)
    {
        if (options.shuffle)
            shuffleIndices(order, rng);
        double lossSum = 0;
        for (int start = 0; start < numRows; start += options.batchSize)
        {
            const int n = std::min(options.batchSize, numRows - start);
            const double loss = fn.step(order.data() + start, n);
            if (!std::isfinite(loss))
                CV_Error(Error::StsError, cv::format("zsl: training diverged (non-finite loss) in epoch %d; "
                                                     "lower the learning rate", epoch));
            lossSum += loss * n;
        }
        summary.epochsRun = epoch;
        summary.lastLoss = lossSum / numRows;

        TrainingProgress tp;
        tp.epoch = epoch;
        tp.epochs = options.epochs;
        tp.loss = summary.lastLoss;
        if (validating)
        {
            const double acc = fn.validate();
            tp.validationAccuracy = acc;
            if (acc > summary.bestValidation)
            {
                summary.bestValidation = acc;
                summary.bestEpoch = epoch;
                sinceBest = 0;
                fn.saveBest();
            }
            else
                sinceBest++;
        }
        else
            summary.bestEpoch = epoch;
        if (progress)
            progress(tp);
        if (validating && sinceBest >= options.patience)
        {
            CV_LOG_INFO(NULL, cv::format("zsl: early stop after epoch %d (best validation %.4f at epoch %d)",
                                         epoch, summary.bestValidation, summary.bestEpoch));
            break;
        }
    }
    if (validating)
        fn.restoreBest();
    return summary;
}

}}}} // namespace cv::zsl::detail::nn
