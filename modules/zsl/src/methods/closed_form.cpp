// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "methods/closed_form.hpp"
#include <Eigen/SparseCore>

namespace cv {
namespace zsl {
namespace detail {

Eigen::MatrixXd gramMatrix(const RowMatrixXf& X)
{
    Eigen::MatrixXf lower = Eigen::MatrixXf::Zero(X.cols(), X.cols());
    lower.selfadjointView<Eigen::Lower>().rankUpdate(X.transpose());
    Eigen::MatrixXd gram = lower.cast<double>().selfadjointView<Eigen::Lower>();
    return gram;
}

RowMatrixXf classSums(const RowMatrixXf& X, const std::vector<int>& y, int numClasses)
{
    CV_Assert((Eigen::Index)y.size() == X.rows());
    // Y^T as a C x N sparse matrix with one unit entry per column.
    std::vector<Eigen::Triplet<float>> entries;
    entries.reserve(y.size());
    for (size_t i = 0; i < y.size(); i++)
        entries.emplace_back(y[i], (int)i, 1.0f);
    Eigen::SparseMatrix<float, Eigen::RowMajor> Yt(numClasses, X.rows());
    Yt.setFromTriplets(entries.begin(), entries.end());
    RowMatrixXf sums = Yt * X;
    return sums;
}

Eigen::VectorXd classCounts(const std::vector<int>& y, int numClasses)
{
    Eigen::VectorXd counts = Eigen::VectorXd::Zero(numClasses);
    for (int label : y)
        counts[label] += 1;
    return counts;
}

}}} // namespace cv::zsl::detail
