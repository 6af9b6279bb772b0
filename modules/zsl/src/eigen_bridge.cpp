// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "eigen_bridge.hpp"
#include <atomic>

namespace cv {
namespace zsl {
namespace detail {

void checkFinite(const Mat& m, const char* what)
{
    if (m.empty())
        return;
    Mat f;
    if (m.depth() == CV_32F || m.depth() == CV_64F)
        f = m;
    else
        return; // integer depths cannot hold NaN/Inf
    // Row stripes over cv::parallel_for_: the scan is memory-bound, and on large training or scoring sets
    // one thread leaves the others idle (at 23,527 x 2,048 the serial scan took 3 % of ESZSL's training).
    const int stripeRows = std::max(1, (1 << 16) / std::max(1, f.cols * f.channels()));
    std::atomic<bool> finite(true);
    if (f.dims > 2)
        finite = cv::checkRange(f, true);
    else
        cv::parallel_for_(Range(0, (f.rows + stripeRows - 1) / stripeRows), [&](const Range& r) {
            const int r0 = r.start * stripeRows, r1 = std::min(f.rows, r.end * stripeRows);
            if (finite.load(std::memory_order_relaxed) && !cv::checkRange(f.rowRange(r0, r1), true))
                finite = false;
        });
    if (!finite)
    {
        Point pos;
        cv::checkRange(f, true, &pos);
        CV_Error(Error::StsBadArg, cv::format("%s: non-finite value (NaN or Inf) at row %d, column %d",
                                              what, pos.y, pos.x));
    }
}

RowMatrixXf toEigen(InputArray input, const char* what, bool allowEmpty)
{
    Mat m = input.getMat();
    if (m.empty())
    {
        if (allowEmpty)
            return RowMatrixXf();
        CV_Error(Error::StsBadArg, cv::format("%s: empty matrix", what));
    }
    if (m.dims > 2)
        CV_Error(Error::StsBadArg, cv::format("%s: expected a 2-D matrix, got %d dimensions", what, m.dims));
    if (m.channels() != 1)
        CV_Error(Error::StsBadArg, cv::format("%s: expected one channel, got %d", what, m.channels()));
    checkFinite(m, what);
    // Continuous float input is copied once, straight into the Eigen matrix (no intermediate Mat).
    if (m.type() == CV_32FC1 && m.isContinuous())
        return ConstRowMapXf(m.ptr<float>(), m.rows, m.cols);
    Mat f;
    m.convertTo(f, CV_32F);
    if (!f.isContinuous())
        f = f.clone();
    return ConstRowMapXf(f.ptr<float>(), f.rows, f.cols);
}

ConstRowMapXf viewEigen(const Mat& m)
{
    CV_Assert(m.type() == CV_32FC1 && m.isContinuous());
    return ConstRowMapXf(m.ptr<float>(), m.rows, m.cols);
}

Mat toMat(const RowMatrixXf& m)
{
    Mat out((int)m.rows(), (int)m.cols(), CV_32F);
    if (m.size() > 0)
        Eigen::Map<RowMatrixXf>(out.ptr<float>(), m.rows(), m.cols()) = m;
    return out;
}

std::vector<int> toLabels(InputArray input, int numClasses, const char* what)
{
    Mat m = input.getMat();
    if (m.empty())
        CV_Error(Error::StsBadArg, cv::format("%s: empty label set", what));
    if (m.channels() != 1 || (m.rows != 1 && m.cols != 1))
        CV_Error(Error::StsBadArg, cv::format("%s: expected a 1 x N or N x 1 single-channel vector, got %d x %d x %d",
                                              what, m.rows, m.cols, m.channels()));
    checkFinite(m, what);
    Mat i32;
    m.convertTo(i32, CV_32S);
    if (m.depth() == CV_32F || m.depth() == CV_64F)
    {
        Mat back;
        i32.convertTo(back, m.depth());
        if (cv::norm(back, m, NORM_INF) != 0)
            CV_Error(Error::StsBadArg, cv::format("%s: labels must be integers", what));
    }
    i32 = i32.reshape(1, 1);
    std::vector<int> labels(i32.begin<int>(), i32.end<int>());
    for (size_t i = 0; i < labels.size(); i++)
        if (labels[i] < 0 || labels[i] >= numClasses)
            CV_Error(Error::StsOutOfRange, cv::format("%s: label %d at position %zu is out of range [0, %d)",
                                                      what, labels[i], i, numClasses));
    return labels;
}

void normalizeRows(RowMatrixXf& m)
{
    // Dividing by max(norm, tiny) keeps zero rows at zero instead of NaN.
    m.array().colwise() /= m.rowwise().norm().array().max(std::numeric_limits<float>::min());
}

}}} // namespace cv::zsl::detail
