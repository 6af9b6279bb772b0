// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "bilinear_ranking.hpp"
#include <numeric>

namespace cv {
namespace zsl {
namespace detail {

void shuffleIndices(std::vector<int>& v, RNG& rng)
{
    for (int i = (int)v.size() - 1; i > 0; i--)
        std::swap(v[i], v[rng.uniform(0, i + 1)]);
}

double bilinearPerClassTop1(const RowMatrixXf& W, const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S)
{
    const RowMatrixXf F = (X * W) * S.transpose();
    Mat predicted((int)F.rows(), 1, CV_32S), truth((int)y.size(), 1, CV_32S, const_cast<int*>(y.data()));
    for (Eigen::Index i = 0; i < F.rows(); i++)
    {
        Eigen::Index best;
        F.row(i).maxCoeff(&best);
        predicted.at<int>((int)i) = (int)best;
    }
    return perClassAccuracy(predicted, truth);
}

void splitSeenClasses(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S, double fraction, uint64 seed,
                      RowMatrixXf& Xt, std::vector<int>& yt, RowMatrixXf& St,
                      RowMatrixXf& Xv, std::vector<int>& yv, RowMatrixXf& Sv)
{
    const int C = (int)S.rows();
    if (C < 4)
        CV_Error(Error::StsBadArg, cv::format("zsl: validationFraction > 0 needs at least 4 seen classes "
                                              "(2 to train on, 2 to validate on), got %d", C));
    // Held-out classes, not samples: early stopping then measures zero-shot transfer, the quantity we care about.
    const int numVal = std::min(C - 2, std::max(2, (int)std::lround(fraction * C)));
    std::vector<int> order(C);
    std::iota(order.begin(), order.end(), 0);
    RNG rng(seed ^ 0x9E3779B97F4A7C15ULL);
    shuffleIndices(order, rng);
    std::vector<int> newIndex(C), isVal(C, 0);
    for (int k = 0; k < C; k++)
        isVal[order[k]] = k < numVal;
    std::vector<int> trainClasses, valClasses;
    for (int c = 0; c < C; c++)
    {
        std::vector<int>& target = isVal[c] ? valClasses : trainClasses;
        newIndex[c] = (int)target.size();
        target.push_back(c);
    }
    St = S(trainClasses, Eigen::all);
    Sv = S(valClasses, Eigen::all);
    std::vector<int> trainRows, valRows;
    yt.clear();
    yv.clear();
    for (size_t i = 0; i < y.size(); i++)
    {
        (isVal[y[i]] ? valRows : trainRows).push_back((int)i);
        (isVal[y[i]] ? yv : yt).push_back(newIndex[y[i]]);
    }
    Xt = X(trainRows, Eigen::all);
    Xv = X(valRows, Eigen::all);
}

BilinearRankingModel::BilinearRankingModel(const ZeroShotClassifier::Params& p)
    : epochs_(p.epochs), batchSize_(p.batchSize), patience_(p.patience), learningRate_(p.learningRate),
      weightDecay_(p.weightDecay), margin_(p.margin > 0 ? p.margin : 1.0), validationFraction_(p.validationFraction),
      seed_(p.seed)
{
}

int BilinearRankingModel::runSgd(RowMatrixXf& W, const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                                 const RowMatrixXf& Xv, const std::vector<int>& yv, const RowMatrixXf& Sv,
                                 int epochs, const ProgressCallback& progress) const
{
    const int N = (int)X.rows(), C = (int)S.rows();
    const bool validate = Xv.rows() > 0;
    const float lr = (float)learningRate_, decay = (float)weightDecay_, margin = (float)margin_;
    RNG rng(seed_);
    std::vector<int> order(N);
    std::iota(order.begin(), order.end(), 0);
    RowMatrixXf best = W;
    double bestAccuracy = -1;
    int bestEpoch = 0, epoch = 0;
    for (epoch = 1; epoch <= epochs; epoch++)
    {
        shuffleIndices(order, rng);
        double lossSum = 0;
        for (int start = 0; start < N; start += batchSize_)
        {
            const int B = std::min(batchSize_, N - start);
            const std::vector<int> rows(order.begin() + start, order.begin() + start + B);
            const RowMatrixXf Xb = X(rows, Eigen::all);        // B x D
            const RowMatrixXf F = (Xb * W) * S.transpose();      // B x C compatibilities
            RowMatrixXf coef = RowMatrixXf::Zero(B, C);          // dLoss/dF
            for (int i = 0; i < B; i++)
                lossSum += sampleLoss(F.row(i).data(), C, y[rows[i]], margin, coef.row(i).data());
            // dLoss/dW = Xb^T coef S, averaged over the batch; the L2 penalty shrinks W every step.
            const RowMatrixXf grad = Xb.transpose() * (coef * S);
            if (decay > 0)
                W *= 1.f - lr * decay;
            W.noalias() -= (lr / (float)B) * grad;
        }
        if (!W.allFinite())
            CV_Error(Error::StsError, cv::format("zsl %s: SGD diverged at epoch %d (non-finite weights): lower learningRate",
                                                 name(), epoch));
        TrainingProgress info;
        info.epoch = epoch;
        info.epochs = epochs;
        info.loss = lossSum / std::max(N, 1);
        if (validate)
        {
            info.validationAccuracy = bilinearPerClassTop1(W, Xv, yv, Sv);
            if (info.validationAccuracy > bestAccuracy)
            {
                bestAccuracy = info.validationAccuracy;
                bestEpoch = epoch;
                best = W;
            }
        }
        CV_LOG_DEBUG(NULL, cv::format("zsl %s: epoch %d/%d loss %.6f val %.4f", name(), epoch, epochs, info.loss,
                                      info.validationAccuracy));
        if (progress)
            progress(info);
        if (validate && epoch - bestEpoch >= patience_)
            break;
    }
    if (validate)
    {
        W = best;
        return bestEpoch;
    }
    return std::min(epoch, epochs);
}

void BilinearRankingModel::train(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
                                 const ProgressCallback& progress)
{
    const int D = (int)X.cols(), A = (int)S.cols();
    // Small random start: the seed decides it, and W = 0 would make every first-step score tie.
    RowMatrixXf W0(D, A);
    {
        Mat w0(D, A, CV_32F, W0.data());
        RNG rng(seed_ + 1);
        rng.fill(w0, RNG::NORMAL, 0.0, 1e-3 / std::sqrt((double)D));
    }
    RowMatrixXf W = W0;
    int epochs = epochs_;
    if (validationFraction_ > 0)
    {
        // Pick the number of epochs on held-out seen classes, then retrain on all of them for that many
        // (the protocol of Xian et al.'s benchmark), from the same start.
        RowMatrixXf Xt, St, Xv, Sv;
        std::vector<int> yt, yv;
        splitSeenClasses(X, y, S, validationFraction_, seed_, Xt, yt, St, Xv, yv, Sv);
        epochs = runSgd(W, Xt, yt, St, Xv, yv, Sv, epochs_, progress);
        CV_LOG_INFO(NULL, cv::format("zsl %s: early stopping chose %d epochs", name(), epochs));
        W = W0;
    }
    runSgd(W, X, y, S, RowMatrixXf(), std::vector<int>(), RowMatrixXf(), epochs, progress);
    W_ = W;
}

RowMatrixXf BilinearRankingModel::scores(const RowMatrixXf& X, const RowMatrixXf& P) const
{
    return (X * W_) * P.transpose();
}

RowMatrixXf BilinearRankingModel::embed(const RowMatrixXf& X) const
{
    return X * W_;
}

void BilinearRankingModel::write(FileStorage& fs) const
{
    fs << "method" << name();
    writeMatrix(fs, "W", W_);
}

void BilinearRankingModel::read(const FileNode& node)
{
    String m;
    node["method"] >> m;
    if (m != name())
        CV_Error(Error::StsParseError, cv::format("zsl model: model section is '%s', expected %s", m.c_str(), name()));
    W_ = readMatrix(node, "W");
}

}}} // namespace cv::zsl::detail
