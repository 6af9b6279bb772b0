// This file is part of the opencv_zsl module (cv::zsl).
// Internal: defensive reading of cv::FileStorage nodes.
#ifndef OPENCV_ZSL_STORAGE_HPP
#define OPENCV_ZSL_STORAGE_HPP

#include <opencv2/core.hpp>

namespace cv {
namespace zsl {
namespace detail {

/** Reads a single-channel float/double matrix node, checking the declared rows x cols against the
    values actually present BEFORE anything is allocated (cv::FileNode >> Mat trusts the header,
    so a hostile file could otherwise request gigabytes). Returns CV_32F. `what` names the node. */
Mat readMatNode(const FileNode& node, const String& what);

}}} // namespace cv::zsl::detail

#endif
