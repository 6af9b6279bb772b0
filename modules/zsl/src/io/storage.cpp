// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "io/storage.hpp"
#include "io/input_file.hpp"
#include "eigen_bridge.hpp"
#include <cctype>

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

/** OpenCV 4.6's YAML parser never returns once its top-level loop stands on a '-' that does not start
    "---" after the first document (parse() skips three characters and retries without moving): a root
    collection that ends before the end of the file (it starts indented, or "..." / a second "---" closes
    it) followed by such a line hangs it (fuzz_classifier_load found " ----" and "  --\x84" after an
    indented root). The module writes one document whose root map starts at column 0, so that layout is
    required up front: directives, comments and one bare "---" first, then a key at column 0, and no
    document marker ("---", "...") after it. */
void checkYamlLayout(const std::string& text, const String& filename, const char* who)
{
    bool inRoot = false;
    for (size_t line = 0, at = 0; at < text.size(); line++)
    {
        size_t end = text.find('\n', at);
        if (end == std::string::npos)
            end = text.size();
        const size_t first = std::min(text.find_first_not_of(" \t\r", at), end);
        const auto refuse = [&](const char* what) {
            CV_Error(Error::StsParseError, cv::format("%s: '%s' line %d: %s (only the layout cv::zsl writes is read: others can hang OpenCV 4.6's YAML parser)",
                                                      who, filename.c_str(), (int)line + 1, what));
        };
        const bool marker = text.compare(first, 3, "---") == 0 || text.compare(first, 3, "...") == 0;
        size_t last = end;
        while (last > first && (text[last - 1] == '\r' || text[last - 1] == ' '))
            last--;
        if (inRoot && marker)
            refuse("a document marker after the root map (one document only)");
        if (marker && (first != at || last != at + 3 || text[first] == '.'))
            refuse("a line starting with '---' or '...' that is not the document marker");
        if (!inRoot && first < end && !marker && text[first] != '#' && !(text[first] == '%' && first == at))
        {
            const unsigned char c = (unsigned char)text[first];
            if (first != at || !(std::isalnum(c) || c == '_'))
                refuse("the root map must start with a key at column 0");
            inRoot = true;
        }
        at = end + 1;
    }
}

} // namespace

void openForReading(FileStorage& fs, const String& filename, const char* who)
{
    const std::string text = readTextCapped(filename, who, INPUT_LIMIT_MODEL_BYTES, true);
    if (text.empty())
        CV_Error(Error::StsParseError, cv::format("%s: '%s' is empty", who, filename.c_str()));
    if (text.compare(0, 5, "%YAML") == 0)
        checkYamlLayout(text, filename, who);
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
