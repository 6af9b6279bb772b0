// This file is part of the opencv_zsl module (cv::zsl).
// Prototype loaders: text/CSV matrices, JSON (Boost.JSON), GBU att_splits.mat (MatFile).
#include "precomp.hpp"
#include "opencv2/zsl/mat_file.hpp"
#include "opencv2/zsl/atomic_file.hpp"
#include "io/input_file.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace cv {
namespace zsl {

namespace {

std::string readWholeFile(const String& filename, const char* caller)
{
    std::string s = detail::readTextCapped(filename, caller, INPUT_LIMIT_TEXT_BYTES, false);
    if (s.compare(0, 3, "\xEF\xBB\xBF") == 0) // UTF-8 byte order mark, as some editors write
        s.erase(0, 3);
    return s;
}

std::vector<std::string> splitLines(const std::string& s)
{
    std::vector<std::string> lines;
    std::istringstream in(s);
    std::string line;
    while (std::getline(in, line))
    {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        lines.push_back(line);
    }
    return lines;
}

std::string trim(const std::string& s)
{
    const size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos)
        return std::string();
    const size_t e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

// Fields of one line: comma-separated (with "quoted" fields) when the line has a comma, else whitespace.
std::vector<std::string> splitFields(const std::string& line)
{
    std::vector<std::string> fields;
    if (line.find(',') != std::string::npos)
    {
        std::string cur;
        bool quoted = false;
        for (size_t i = 0; i < line.size(); i++)
        {
            const char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
                    cur += '"', i++;
                else if (c == '"')
                    quoted = false;
                else
                    cur += c;
            }
            else if (c == '"' && trim(cur).empty())
                cur.clear(), quoted = true;
            else if (c == ',')
                fields.push_back(trim(cur)), cur.clear();
            else
                cur += c;
        }
        fields.push_back(trim(cur));
        return fields;
    }
    std::istringstream in(line);
    std::string f;
    while (in >> f)
        fields.push_back(f);
    return fields;
}

// Locale-independent parse of a whole field as a double.
bool parseNumber(const std::string& s, double& v)
{
    const char* b = s.data();
    const char* e = b + s.size();
    if (b != e && *b == '+')
        b++;
    if (b == e)
        return false;
    const auto r = std::from_chars(b, e, v);
    return r.ec == std::errc() && r.ptr == e;
}

bool isBlankOrComment(const std::string& line)
{
    const std::string t = trim(line);
    return t.empty() || t[0] == '#';
}

// Names file: one per line; AwA's "1\tantelope" numbering is dropped.
std::vector<String> readNamesFile(const String& filename, std::vector<int>& lineOf)
{
    std::vector<String> names;
    const std::vector<std::string> lines = splitLines(readWholeFile(filename, "readPrototypesText"));
    for (size_t i = 0; i < lines.size(); i++)
    {
        if (isBlankOrComment(lines[i]))
            continue;
        std::string t = trim(lines[i]);
        const size_t sep = t.find_first_of(" \t");
        if (sep != std::string::npos && t.find_first_not_of("0123456789") == sep)
            t = trim(t.substr(sep));
        names.push_back(t);
        lineOf.push_back((int)i + 1);
    }
    return names;
}

void checkUniqueNames(const std::vector<String>& names, const std::vector<int>& lineOf, const String& file)
{
    std::unordered_map<std::string, int> first;
    for (size_t i = 0; i < names.size(); i++)
    {
        auto ins = first.emplace(names[i], lineOf[i]);
        if (!ins.second)
            CV_Error(Error::StsBadArg, cv::format("%s:%d: duplicate class name '%s' (first on line %d)", file.c_str(),
                                                  lineOf[i], names[i].c_str(), ins.first->second));
    }
}

// Shortest decimal text that reads back as the same float.
std::string floatText(float x)
{
    if (x == 0 && std::signbit(x))
        return "-0.0"; // "-0" would be read back as the integer 0
    for (int prec = 6; prec < 9; prec++)
    {
        const std::string s = cv::format("%.*g", prec, (double)x);
        if (std::strtof(s.c_str(), nullptr) == x)
            return s;
    }
    return cv::format("%.9g", (double)x);
}

} // namespace

ClassPrototypes readPrototypesText(const String& matrixFile, const String& namesFile)
{
    return detail::publicBoundary(cv::format("readPrototypesText('%s')", matrixFile.c_str()).c_str(), [&]() {
    const char* caller = "readPrototypesText";
    const std::vector<std::string> lines = splitLines(readWholeFile(matrixFile, caller));
    const bool namesInMatrix = namesFile.empty();
    std::vector<String> names;
    std::vector<int> nameLines;
    if (!namesInMatrix)
        names = readNamesFile(namesFile, nameLines);

    std::vector<double> values;
    std::vector<String> rowNames;
    std::vector<int> rowLines;
    int cols = -1, firstLine = 0;
    bool headerChecked = false;
    for (size_t li = 0; li < lines.size(); li++)
    {
        if (isBlankOrComment(lines[li]))
            continue;
        const int lineNo = (int)li + 1;
        std::vector<std::string> fields = splitFields(lines[li]);
        const size_t first = namesInMatrix ? 1 : 0;
        if (fields.size() <= first)
            CV_Error(Error::StsParseError, cv::format("%s: %s:%d: a class name but no values", caller, matrixFile.c_str(), lineNo));
        if (!headerChecked)
        {
            // A CSV header ("name,black,white,...") has no number at all among the value fields.
            headerChecked = true;
            double dummy;
            bool anyNumber = false;
            for (size_t j = first; j < fields.size(); j++)
                anyNumber = anyNumber || parseNumber(fields[j], dummy);
            if (!anyNumber && fields.size() > first + 1)
                continue;
        }
        const int n = (int)(fields.size() - first);
        if (cols < 0)
            cols = n, firstLine = lineNo;
        else if (n != cols)
            CV_Error(Error::StsBadSize, cv::format("%s: %s:%d: %d values, but line %d has %d (ragged rows)", caller,
                                                   matrixFile.c_str(), lineNo, n, firstLine, cols));
        for (size_t j = first; j < fields.size(); j++)
        {
            double v;
            if (!parseNumber(fields[j], v))
                CV_Error(Error::StsParseError, cv::format("%s: %s:%d: field %zu '%s' is not a number", caller,
                                                          matrixFile.c_str(), lineNo, j + 1, fields[j].c_str()));
            if (!std::isfinite(v) || std::abs(v) > FLT_MAX)
                CV_Error(Error::StsParseError, cv::format("%s: %s:%d: field %zu '%s' is not a finite float", caller,
                                                          matrixFile.c_str(), lineNo, j + 1, fields[j].c_str()));
            values.push_back(v);
        }
        if (namesInMatrix)
            rowNames.push_back(fields[0]);
        rowLines.push_back(lineNo);
    }
    if (rowLines.empty())
        CV_Error(Error::StsBadArg, cv::format("%s: '%s' holds no prototype rows", caller, matrixFile.c_str()));
    if (namesInMatrix)
    {
        names = rowNames;
        nameLines = rowLines;
        checkUniqueNames(names, nameLines, matrixFile);
    }
    else
    {
        if (names.size() != rowLines.size())
            CV_Error(Error::StsBadSize, cv::format("%s: '%s' has %zu names but '%s' has %zu rows", caller,
                                                   namesFile.c_str(), names.size(), matrixFile.c_str(), rowLines.size()));
        checkUniqueNames(names, nameLines, namesFile);
    }
    for (size_t i = 0; i < names.size(); i++)
        if (names[i].empty())
            CV_Error(Error::StsBadArg, cv::format("%s: %s:%d: empty class name", caller,
                                                  (namesInMatrix ? matrixFile : namesFile).c_str(), nameLines[i]));
    Mat m((int)rowLines.size(), cols, CV_64F, values.data());
    return ClassPrototypes(names, m);
    });
}

//--------------------------------------------------------------------------------------------------
// JSON

namespace {

[[noreturn]] void jsonError(const String& file, const std::string& what)
{
    CV_Error(Error::StsParseError, cv::format("readPrototypesJSON: '%s': %s", file.c_str(), what.c_str()));
}

} // namespace

ClassPrototypes readPrototypesJSON(const String& filename)
{
    return detail::publicBoundary(cv::format("readPrototypesJSON('%s')", filename.c_str()).c_str(), [&]() -> ClassPrototypes {
    const std::string text = readWholeFile(filename, "readPrototypesJSON");
    boost::json::stream_parser parser;
    boost::system::error_code ec;
    size_t consumed = parser.write_some(text.data(), text.size(), ec);
    if (!ec && consumed < text.size())
        ec = boost::json::error::extra_data;
    if (!ec)
        parser.finish(ec);
    if (ec)
    {
        // The parser stops at the offending character: report it as line:column.
        const size_t at = std::min(consumed, text.size());
        int line = 1, col = 1;
        for (size_t i = 0; i < at; i++)
            (text[i] == '\n') ? (line++, col = 1) : col++;
        jsonError(filename, cv::format("malformed JSON at line %d, column %d (byte %zu): %s", line, col, at,
                                       ec.message().c_str()));
    }
    const boost::json::value root = parser.release();
    const boost::json::object* obj = root.if_object();
    if (!obj || !obj->contains("classes"))
        jsonError(filename, "expected an object with a \"classes\" array");
    const boost::json::array* classes = obj->at("classes").if_array();
    if (!classes)
        jsonError(filename, "\"classes\" must be an array");
    if (classes->empty())
        jsonError(filename, "\"classes\" is empty");

    std::vector<String> names;
    std::vector<double> values;
    size_t dims = 0;
    for (size_t i = 0; i < classes->size(); i++)
    {
        const boost::json::object* c = (*classes)[i].if_object();
        if (!c)
            jsonError(filename, cv::format("classes[%zu] is not an object", i));
        const boost::json::value* name = c->if_contains("name");
        const boost::json::value* vec = c->if_contains("vector");
        if (!name || !name->is_string())
            jsonError(filename, cv::format("classes[%zu] has no string \"name\"", i));
        if (!vec || !vec->is_array())
            jsonError(filename, cv::format("classes[%zu] (\"%s\") has no array \"vector\"", i, name->get_string().c_str()));
        const boost::json::array& a = vec->get_array();
        if (i == 0)
            dims = a.size();
        if (a.size() != dims || dims == 0)
            jsonError(filename, cv::format("classes[%zu] (\"%s\") has %zu values, classes[0] has %zu", i,
                                           name->get_string().c_str(), a.size(), dims));
        for (size_t j = 0; j < a.size(); j++)
        {
            if (!a[j].is_number())
                jsonError(filename, cv::format("classes[%zu].vector[%zu] is not a number", i, j));
            values.push_back(a[j].to_number<double>());
        }
        names.push_back(String(name->get_string().c_str(), name->get_string().size()));
    }
    try
    {
        return ClassPrototypes(names, Mat((int)names.size(), (int)dims, CV_64F, values.data()));
    }
    catch (const cv::Exception& e)
    {
        jsonError(filename, e.err);
    }
    });
}

void writePrototypesJSON(const String& filename, const ClassPrototypes& prototypes)
{
    prototypes.validate();
    std::string out = "{\"classes\":[\n";
    for (int i = 0; i < prototypes.size(); i++)
    {
        out += "  {\"name\":" + boost::json::serialize(boost::json::value(boost::json::string_view(prototypes.names[i])));
        out += ",\"vector\":[";
        const float* row = prototypes.vectors.ptr<float>(i);
        for (int j = 0; j < prototypes.dims(); j++)
            out += (j ? "," : "") + floatText(row[j]);
        out += i + 1 < prototypes.size() ? "]},\n" : "]}\n";
    }
    out += "]}\n";
    writeFileAtomically(filename, out);
}

//--------------------------------------------------------------------------------------------------
// GBU att_splits.mat

ClassPrototypes readPrototypesGBU(const String& filename, const String& variable)
{
    return detail::publicBoundary(cv::format("readPrototypesGBU('%s')", filename.c_str()).c_str(), [&]() -> ClassPrototypes {
    MatFile mat(filename);
    if (!mat.has(variable))
    {
        std::string available;
        for (const String& n : mat.names())
            available += (available.empty() ? "" : ", ") + n;
        CV_Error(Error::StsObjectNotFound, cv::format("readPrototypesGBU: '%s' has no variable '%s' (it has: %s)",
                                                      filename.c_str(), variable.c_str(), available.c_str()));
    }
    const Mat att = mat.matrix(variable, CV_64F); // A x C: one column per class
    std::vector<String> names;
    if (mat.has("allclasses_names"))
    {
        names = mat.strings("allclasses_names");
        if ((int)names.size() != att.cols)
            CV_Error(Error::StsBadSize, cv::format("readPrototypesGBU: '%s': %zu class names but '%s' has %d columns",
                                                   filename.c_str(), names.size(), variable.c_str(), att.cols));
    }
    else
    {
        // FLO has no names; 1-based like the dataset's own class ids.
        for (int c = 0; c < att.cols; c++)
            names.push_back(cv::format("class_%d", c + 1));
    }
    try
    {
        return ClassPrototypes(names, att.t());
    }
    catch (const cv::Exception& e)
    {
        CV_Error(e.code, cv::format("readPrototypesGBU: '%s', variable '%s': %s", filename.c_str(), variable.c_str(),
                                    e.err.c_str()));
    }
    });
}

}} // namespace cv::zsl
