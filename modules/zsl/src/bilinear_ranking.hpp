// This file is part of the opencv_zsl module (cv::zsl).
// Internal: bilinear compatibility F(x, s) = x^T W s trained by minibatch SGD on a ranking loss,
// the common part of ALE (ale.cpp) and SJE (sje.cpp), which differ only in the per-sample loss.
#ifndef OPENCV_ZSL_BILINEAR_RANKING_HPP
#define OPENCV_ZSL_BILINEAR_RANKING_HPP

#include "compatibility_model.hpp"

namespace cv {
namespace zsl {
namespace detail {

/** Bilinear ranking model. Subclasses supply the ranking loss of one sample through
    sampleLoss(); this class owns the weights, the SGD loop, early stopping and serialisation. */
class BilinearRankingModel : public CompatibilityModel
{
public:
    explicit BilinearRankingModel(const ZeroShotClassifier::Params& p);

    void train(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback& progress) CV_OVERRIDE;

    RowMatrixXf scores(const RowMatrixXf& X, const RowMatrixXf& P) const CV_OVERRIDE;
    RowMatrixXf embed(const RowMatrixXf& X) const CV_OVERRIDE;
    int featureDim() const CV_OVERRIDE { return (int)W_.rows(); }
    int prototypeDim() const CV_OVERRIDE { return (int)W_.cols(); }
    void write(FileStorage& fs) const CV_OVERRIDE;
    void read(const FileNode& node) CV_OVERRIDE;

    const RowMatrixXf& weights() const { return W_; }

    /** Loss of one sample from its compatibility scores f (1 x C) with every training class and its
        label y; writes dLoss/df into `coef` (1 x C, zero on entry). `margin` is Delta(y, j) for j != y. */
    virtual float sampleLoss(const float* f, int numClasses, int y, float margin, float* coef) const = 0;

protected:
    //! Short method name used in the model file and in messages ("ALE", "SJE").
    virtual const char* name() const = 0;

private:
    // Runs `epochs` epochs of SGD on (X, y, S) from W; returns the epochs done. With validation data
    // (Xv, yv, Sv non-empty) it stops after `patience` epochs without improvement and keeps the best W.
    int runSgd(RowMatrixXf& W, const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const RowMatrixXf& Xv, const std::vector<int>& yv, const RowMatrixXf& Sv,
               int epochs, const ProgressCallback& progress) const;

    int epochs_, batchSize_, patience_;
    double learningRate_, weightDecay_, margin_, validationFraction_;
    uint64 seed_;
    RowMatrixXf W_; // D x A
};

/** Per-class top-1 accuracy of argmax_c (X W S^T) against y (labels index the rows of S). */
double bilinearPerClassTop1(const RowMatrixXf& W, const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S);

/** In-place Fisher-Yates shuffle driven by cv::RNG, so that the order depends only on the seed
    (std::shuffle's algorithm differs between standard libraries). */
void shuffleIndices(std::vector<int>& v, RNG& rng);

/** Splits the seen classes for early stopping: round(fraction * C) classes (at least 2, at most C - 2)
    chosen by the seed are held out. Fills the training and validation subsets, with labels re-indexed
    into the returned prototype subsets. */
void splitSeenClasses(const RowMatrixXf& X, const std::vector<int>& y, const RowMatrixXf& S, double fraction, uint64 seed,
                      RowMatrixXf& Xt, std::vector<int>& yt, RowMatrixXf& St,
                      RowMatrixXf& Xv, std::vector<int>& yv, RowMatrixXf& Sv);

}}} // namespace cv::zsl::detail

#endif
