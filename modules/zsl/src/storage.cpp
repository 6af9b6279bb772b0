// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "storage.hpp"
#include "eigen_bridge.hpp"

namespace cv {
namespace zsl {
namespace detail {

Mat readMatNode(const FileNode& node, const String& what)
{
    if (node.empty())
        CV_Error(Error::StsParseError, cv::format("%s: missing", what.c_str()));
    if (!node.isMap() || !node["rows"].isInt() || !node["cols"].isInt() || !node["dt"].isString() || !node["data"].isSeq())
        CV_Error(Error::StsParseError, cv::format("%s: not a matrix node (rows, cols, dt, data)", what.c_str()));
    const int rows = (int)node["rows"], cols = (int)node["cols"];
    const String dt = (String)node["dt"];
    if (dt != "f" && dt != "d")
        CV_Error(Error::StsParseError, cv::format("%s: element type '%s' is not a single-channel float or double",
                                                  what.c_str(), dt.c_str()));
    const size_t values = node["data"].size();
    if (rows < 0 || cols < 0 || (int64)rows * cols != (int64)values)
        CV_Error(Error::StsParseError, cv::format("%s: declares %d x %d values but holds %zu", what.c_str(), rows, cols, values));
    Mat m;
    node >> m;
    checkFinite(m, what.c_str());
    Mat f;
    m.convertTo(f, CV_32F);
    return f;
}

}}} // namespace cv::zsl::detail
