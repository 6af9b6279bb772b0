// This file is part of the opencv_zsl samples.
// Command-line helper shared by the samples: a validating wrapper of cv::CommandLineParser (unknown
// options, options missing their value and ill-typed or out-of-range numbers are errors, never silent
// defaults), uniform error reporting (with --json, stdout holds {"error": ...} also on failure) and the
// checks every output file goes through (never one of the inputs, never an unsupported extension).
#ifndef OPENCV_ZSL_SAMPLE_CLI_HPP
#define OPENCV_ZSL_SAMPLE_CLI_HPP

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/zsl/atomic_file.hpp>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace zsl_samples {

/** JSON string literal (quotes included) of s. */
inline std::string jsonQuote(const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c : s)
    {
        if (c == '"' || c == '\\')
            out += '\\', out += (char)c;
        else if (c < 0x20)
            out += cv::format("\\u%04x", c);
        else
            out += (char)c;
    }
    return out + "\"";
}

/** Every argument without a leading '-', in order: cv::CommandLineParser knows one positional key,
    while the samples take any number of inputs (options are written --key=value). */
inline std::vector<cv::String> positionalArguments(int argc, char** argv)
{
    std::vector<cv::String> positional;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-' || argv[i][1] == '\0')
            positional.push_back(argv[i]);
    return positional;
}

/** True when both paths name the same existing file (device and inode: symlinks, hard links, "./x"). */
inline bool sameFile(const std::string& a, const std::string& b)
{
    struct stat sa, sb;
    if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0)
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

inline bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/** Throws unless `output` is given, ends with one of `extensions` and is none of `inputs`. */
inline void checkOutput(const std::string& option, const std::string& output, const std::vector<std::string>& extensions,
                        const std::vector<cv::String>& inputs)
{
    if (output.empty())
        CV_Error(cv::Error::StsBadArg, cv::format("%s is required (the output file)", option.c_str()));
    bool ok = false;
    std::string all;
    for (const std::string& e : extensions)
    {
        ok = ok || endsWith(output, e);
        all += " " + e;
    }
    if (!ok)
        CV_Error(cv::Error::StsBadArg, cv::format("%s='%s': unsupported output extension (one of:%s)", option.c_str(),
                                                  output.c_str(), all.c_str()));
    for (const cv::String& in : inputs)
        if (sameFile(output, in))
            CV_Error(cv::Error::StsBadArg, cv::format("%s='%s' is the input '%s': refusing to overwrite an input",
                                                      option.c_str(), output.c_str(), in.c_str()));
}

/** Opens a FileStorage file for reading; refuses what is not a regular file (a FIFO or /dev/zero would
    block or never end inside FileStorage) and names the file when it cannot be parsed. */
inline void openStorageForReading(cv::FileStorage& fs, const std::string& path, int flags = cv::FileStorage::READ)
{
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        CV_Error(cv::Error::StsError, cv::format("cannot open '%s': %s", path.c_str(), std::strerror(errno)));
    if (!S_ISREG(st.st_mode))
        CV_Error(cv::Error::StsBadArg, cv::format("'%s' is not a regular file", path.c_str()));
    if (!fs.open(path, flags))
        CV_Error(cv::Error::StsError, cv::format("cannot read '%s'", path.c_str()));
}

/** Encodes `image` in the format of `path`'s extension and writes it atomically (old file kept on error). */
inline void writeImageAtomically(const std::string& path, const cv::Mat& image)
{
    const size_t dot = path.find_last_of('.');
    const std::string ext = dot == std::string::npos ? std::string() : path.substr(dot);
    std::vector<uchar> bytes;
    if (ext.empty() || !cv::imencode(ext, image, bytes))
        CV_Error(cv::Error::StsBadArg, cv::format("cannot encode an image for '%s' (extension '%s')", path.c_str(), ext.c_str()));
    cv::zsl::writeFileAtomically(path, std::string(bytes.begin(), bytes.end()));
}

/** Throws when a row of `m` holds NaN or Inf, naming the row (0-based) and `what`. */
inline void requireFinite(const cv::Mat& m, const std::string& what)
{
    cv::Mat f;
    m.convertTo(f, CV_64F);
    for (int r = 0; r < f.rows; r++)
        for (int c = 0; c < f.cols; c++)
            if (!std::isfinite(f.at<double>(r, c)))
                CV_Error(cv::Error::StsBadArg, cv::format("%s: row %d (column %d) is not finite (NaN or Inf)", what.c_str(), r, c));
}

/** cv::CommandLineParser that validates: construct it, then read values with str/integer/real/flag.
    Any usage error prints "<program>: <message>" (and {"error": ...} on stdout with --json) and exits 2. */
class Cli
{
public:
    Cli(int argc, char** argv, const cv::String& keys, const cv::String& about, bool jsonErrors = false)
        : parser(argc, argv, keys)
    {
        parser.about(about);
        program = argv[0];
        program = program.substr(program.find_last_of('/') + 1);
        parseKeys(keys);
        for (int i = 1; i < argc; i++)
        {
            const std::string a = argv[i];
            if (a == "--json" || a == "--json=true" || a == "-json")
                json = jsonErrors;
        }
        for (int i = 1; i < argc; i++)
        {
            const std::string a = argv[i];
            if (a.size() < 2 || a[0] != '-')
                continue;
            const std::string body = a.substr(a[1] == '-' ? 2 : 1);
            const size_t eq = body.find('=');
            const std::string name = body.substr(0, eq);
            auto it = defaults.find(name);
            if (it == defaults.end())
                usage(cv::format("unknown option '%s' (see --help)", a.c_str()));
            if (eq == std::string::npos && !it->second.empty() && it->second != "true" && it->second != "false")
                usage(cv::format("option '%s' needs a value: write --%s=<value>", a.c_str(), name.c_str()));
            if (eq != std::string::npos && body.size() == eq + 1 && !isFlag(name))
                usage(cv::format("option '%s' has an empty value", a.c_str()));
        }
        positional = positionalArguments(argc, argv);
        if (parser.has("help"))
        {
            parser.printMessage();
            std::exit(0);
        }
        if (!parser.check())
        {
            parser.printErrors();
            usage("invalid command line");
        }
    }

    bool has(const cv::String& name) const { return parser.has(name); }
    cv::String str(const cv::String& name) const { return parser.get<cv::String>(name); }

    /** A boolean option: present without value, or =true/=false/=1/=0. */
    bool flag(const cv::String& name) const
    {
        if (!parser.has(name))
            return false;
        const std::string v = parser.get<cv::String>(name);
        if (v.empty() || v == "true" || v == "1")
            return true;
        if (v == "false" || v == "0")
            return false;
        usage(cv::format("--%s=%s: expected true or false", name.c_str(), v.c_str()));
    }

    long long integer(const cv::String& name, long long lo, long long hi) const
    {
        const std::string v = parser.get<cv::String>(name);
        errno = 0;
        char* end = nullptr;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || errno == ERANGE)
            usage(cv::format("--%s=%s: not an integer", name.c_str(), v.c_str()));
        if (x < lo || x > hi)
            usage(cv::format("--%s=%s: out of range [%lld, %lld]", name.c_str(), v.c_str(), lo, hi));
        return x;
    }

    double real(const cv::String& name, double lo, double hi) const
    {
        const std::string v = parser.get<cv::String>(name);
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !std::isfinite(x))
            usage(cv::format("--%s=%s: not a number", name.c_str(), v.c_str()));
        if (x < lo || x > hi)
            usage(cv::format("--%s=%s: out of range [%g, %g]", name.c_str(), v.c_str(), lo, hi));
        return x;
    }

    /** Reports an error (stderr, and JSON on stdout with --json) and returns the exit code 1. */
    int fail(const std::string& message) const
    {
        std::cerr << program << ": " << message << std::endl;
        if (json)
            std::cout << "{\"error\": " << jsonQuote(message) << "}" << std::endl;
        return 1;
    }

    [[noreturn]] void usage(const std::string& message) const
    {
        fail(message);
        std::exit(2);
    }

    cv::CommandLineParser parser;
    std::vector<cv::String> positional;
    std::string program;
    bool json = false;

private:
    bool isFlag(const std::string& name) const
    {
        auto it = defaults.find(name);
        return it != defaults.end() && (it->second.empty() || it->second == "true" || it->second == "false");
    }

    static std::string trim(const std::string& s)
    {
        const size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    }

    void parseKeys(const std::string& keys)
    {
        for (size_t pos = keys.find('{'); pos != std::string::npos; pos = keys.find('{', pos + 1))
        {
            const size_t close = keys.find('}', pos);
            const std::string entry = keys.substr(pos + 1, close - pos - 1);
            const size_t bar1 = entry.find('|'), bar2 = entry.find('|', bar1 + 1);
            if (bar1 == std::string::npos || bar2 == std::string::npos)
                continue;
            std::string def = trim(entry.substr(bar1 + 1, bar2 - bar1 - 1));
            if (def == "<none>")
                def = "<none>"; // required value
            const std::string names = entry.substr(0, bar1);
            size_t s = 0;
            while (s < names.size())
            {
                const size_t b = names.find_first_not_of(' ', s);
                if (b == std::string::npos)
                    break;
                const size_t e = names.find(' ', b);
                const std::string n = names.substr(b, e == std::string::npos ? std::string::npos : e - b);
                if (n[0] != '@')
                    defaults[n] = def;
                s = e == std::string::npos ? names.size() : e;
            }
            pos = close;
        }
    }

    std::map<std::string, std::string> defaults;
};

} // namespace zsl_samples

#endif
