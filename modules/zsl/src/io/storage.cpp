// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "io/storage.hpp"
#include "io/input_file.hpp"
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

void openForReading(FileStorage& fs, const String& filename, const char* who)
{
    const std::string text = readTextCapped(filename, who, INPUT_LIMIT_MODEL_BYTES, true);
    if (text.empty())
        CV_Error(Error::StsParseError, cv::format("%s: '%s' is empty", who, filename.c_str()));
    if (text.compare(0, 5, "%YAML") == 0)
    {
        for (size_t line = 0, at = 0; at < text.size(); line++)
        {
            size_t end = text.find('\n', at);
            if (end == std::string::npos)
                end = text.size();
            // OpenCV 4.6's YAML parser loops without end on a line whose first non-blank characters are
            // "---" unless it is the bare document marker at column 0 (fuzz_classifier_load found " ----").
            const size_t first = std::min(text.find_first_not_of(" \t", at), end);
            if (text.compare(first, 3, "---") == 0)
            {
                size_t last = end;
                while (last > first + 3 && (text[last - 1] == '\r' || text[last - 1] == ' '))
                    last--;
                if (first != at || last != at + 3)
                    CV_Error(Error::StsParseError, cv::format("%s: '%s' line %d: a line starting with '---' that is not "
                                                              "the document marker (OpenCV's YAML parser cannot read it)",
                                                              who, filename.c_str(), (int)line + 1));
            }
            at = end + 1;
        }
    }
    bool opened = false;
    try
    {
        opened = fs.open(text, FileStorage::READ | FileStorage::MEMORY);
    }
    catch (const cv::Exception& e)
    {
        // OpenCV's parser message keeps its line and reason; echoed file content is escaped and truncated.
        CV_Error(Error::StsParseError, cv::format("%s: '%s': %s", who, filename.c_str(), escapeForMessage(e.err, 2000).c_str()));
    }
    if (!opened)
        CV_Error(Error::StsParseError, cv::format("%s: '%s' is not a FileStorage file (YAML, XML or JSON)", who, filename.c_str()));
}

}}} // namespace cv::zsl::detail
