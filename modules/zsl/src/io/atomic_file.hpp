// This file is part of the opencv_zsl module (cv::zsl).
// Internal: crash-safe file replacement shared by every writer of the module.
#ifndef OPENCV_ZSL_ATOMIC_FILE_HPP
#define OPENCV_ZSL_ATOMIC_FILE_HPP

#include <opencv2/core.hpp>
#include <functional>

namespace cv {
namespace zsl {
namespace detail {

/** Calls writer(tmpPath) for a temporary file beside `path` that ends with the same name (so that
    extension-driven writers such as cv::FileStorage pick the same format), flushes it to disk and
    renames it over `path`. On any failure the temporary file is removed and `path` is untouched. */
void writeAtomically(const String& path, const std::function<void(const String& tmpPath)>& writer);

}}} // namespace cv::zsl::detail

#endif
