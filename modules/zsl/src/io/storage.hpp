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

/** Opens a model file (.yml/.yaml/.xml/.json, optionally .gz) for reading through cv::FileStorage,
    after screening its text for input that OpenCV's own parsers do not survive. The file is read
    (gunzipped) into memory once and parsed from there, so what was screened is what is parsed.
    Screened: in YAML, a line that starts with "---" and is not exactly the document marker:
    OpenCV 4.6's YAML parser loops forever on "----x" followed by a key ending in '-' (found by
    fuzzing ZeroShotClassifier::load); FileStorage never writes such lines. `who` prefixes errors.
    @throws cv::Exception naming the file when it is missing, unreadable or screened out. */
void openForReading(FileStorage& fs, const String& filename, const char* who);

}}} // namespace cv::zsl::detail

#endif
