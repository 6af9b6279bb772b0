// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "io/storage.hpp"
#include "eigen_bridge.hpp"
#include <zlib.h>
#include <memory>

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

namespace {

// Whole file (gunzipped when it is gzip data: gzread passes plain files through) into memory.
std::string readWholeFile(const String& filename, const char* who)
{
    gzFile f = gzopen(filename.c_str(), "rb");
    if (!f)
        CV_Error(Error::StsError, cv::format("%s: cannot open '%s'", who, filename.c_str()));
    std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(f, &gzclose);
    std::string text;
    const size_t chunk = (size_t)1 << 20;
    const size_t limit = (size_t)4 << 30; // no model comes close; a gzip bomb stops here
    for (;;)
    {
        const size_t old = text.size();
        text.resize(old + chunk);
        const int n = gzread(f, &text[old], (unsigned)chunk);
        if (n < 0)
            CV_Error(Error::StsParseError, cv::format("%s: '%s' is corrupt (%s)", who, filename.c_str(), gzerror(f, nullptr)));
        text.resize(old + (size_t)n);
        if (n == 0)
            break;
        if (text.size() > limit)
            CV_Error(Error::StsOutOfRange, cv::format("%s: '%s' holds more than 4 GB of text", who, filename.c_str()));
    }
    return text;
}

} // namespace

void openForReading(FileStorage& fs, const String& filename, const char* who)
{
    const std::string text = readWholeFile(filename, who);
    if (text.empty())
        CV_Error(Error::StsParseError, cv::format("%s: '%s' is empty", who, filename.c_str()));
    if (text.compare(0, 5, "%YAML") == 0)
    {
        for (size_t line = 0, at = 0; at < text.size(); line++)
        {
            size_t end = text.find('\n', at);
            if (end == std::string::npos)
                end = text.size();
            if (text.compare(at, 3, "---") == 0)
            {
                size_t last = end;
                while (last > at + 3 && (text[last - 1] == '\r' || text[last - 1] == ' '))
                    last--;
                if (last != at + 3)
                    CV_Error(Error::StsParseError, cv::format("%s: '%s' line %d: a line starting with '---' that is not "
                                                              "the document marker (OpenCV's YAML parser cannot read it)",
                                                              who, filename.c_str(), (int)line + 1));
            }
            at = end + 1;
        }
    }
    if (!fs.open(text, FileStorage::READ | FileStorage::MEMORY))
        CV_Error(Error::StsParseError, cv::format("%s: '%s' is not a FileStorage file (YAML, XML or JSON)", who, filename.c_str()));
}

}}} // namespace cv::zsl::detail
