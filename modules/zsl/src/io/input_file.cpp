// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "io/input_file.hpp"

#include <zlib.h>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace cv {
namespace zsl {

namespace {

const char* const kVariables[] = {"OPENCV_ZSL_MAX_MODEL_BYTES", "OPENCV_ZSL_MAX_TEXT_BYTES", "OPENCV_ZSL_MAX_DATA_BYTES"};
const uint64 kDefaults[] = {(uint64)1 << 30, (uint64)256 << 20, (uint64)16 << 30};
std::atomic<uint64> gOverrides[3];

void checkLimitId(int limit)
{
    if (limit < INPUT_LIMIT_MODEL_BYTES || limit > INPUT_LIMIT_DATA_BYTES)
        CV_Error(Error::StsOutOfRange, cv::format("zsl input limits: unknown InputLimit %d", limit));
}

// "123", "512K", "64M", "1G", "2T" (binary multiples; an optional trailing "B"/"iB"); 0 when malformed.
uint64 parseBytes(const char* s)
{
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (errno || end == s || v == 0)
        return 0;
    uint64 mul = 1;
    switch (*end)
    {
    case 'k': case 'K': mul = (uint64)1 << 10; end++; break;
    case 'm': case 'M': mul = (uint64)1 << 20; end++; break;
    case 'g': case 'G': mul = (uint64)1 << 30; end++; break;
    case 't': case 'T': mul = (uint64)1 << 40; end++; break;
    default: break;
    }
    if (mul > 1 && *end == 'i') end++;
    if (*end == 'B' || *end == 'b') end++;
    if (*end != '\0' || v > ~(uint64)0 / mul)
        return 0;
    return (uint64)v * mul;
}

const char* fileKind(mode_t m)
{
    if (S_ISFIFO(m)) return "a FIFO (pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISDIR(m)) return "a directory";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

} // namespace

double getInputLimit(int limit)
{
    return (double)detail::inputLimit(limit);
}

void setInputLimit(int limit, double bytes)
{
    checkLimitId(limit);
    if (!(bytes >= 0) || bytes > 1.8e19)
        CV_Error(Error::StsOutOfRange, cv::format("setInputLimit: %g bytes must be >= 0 (0: environment/default)", bytes));
    gOverrides[limit] = (uint64)bytes;
}

namespace detail {

uint64 inputLimit(int limit)
{
    checkLimitId(limit);
    const uint64 o = gOverrides[limit];
    if (o)
        return o;
    if (const char* env = std::getenv(kVariables[limit]))
    {
        const uint64 v = parseBytes(env);
        if (v)
            return v;
        CV_LOG_WARNING(NULL, cv::format("zsl: ignoring %s='%s' (expected bytes, e.g. 1073741824 or 1G)",
                                        kVariables[limit], escapeForMessage(env, 40).c_str()));
    }
    return kDefaults[limit];
}

const char* inputLimitVariable(int limit)
{
    checkLimitId(limit);
    return kVariables[limit];
}

std::string escapeForMessage(const std::string& s, size_t maxLen)
{
    std::string out;
    for (size_t i = 0; i < s.size(); i++)
    {
        if (out.size() >= maxLen)
        {
            out += "...";
            break;
        }
        const unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            out += (char)c;
        else
            out += cv::format("\\x%02x", c);
    }
    return out;
}

InputFile::InputFile(const String& path, const char* who, int limit) : path_(path), who_(who)
{
    const uint64 maxBytes = inputLimit(limit);
    // O_NONBLOCK: opening a FIFO without a writer would block forever; cleared again for regular files.
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0)
        CV_Error(errno == ENOENT ? Error::StsObjectNotFound : Error::StsError,
                 cv::format("%s: cannot open '%s' (%s)", who, path.c_str(), std::strerror(errno)));
    struct stat st;
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
    {
        const int err = errno;
        const bool statted = ::fstat(fd_, &st) == 0;
        ::close(fd_);
        fd_ = -1;
        CV_Error(Error::StsBadArg, statted ? cv::format("%s: '%s' is %s, not a regular file: refused (it could block or never end)",
                                                        who, path.c_str(), fileKind(st.st_mode))
                                           : cv::format("%s: cannot stat '%s' (%s)", who, path.c_str(), std::strerror(err)));
    }
    size_ = (uint64)st.st_size;
    if (size_ > maxBytes)
    {
        ::close(fd_);
        fd_ = -1;
        CV_Error(Error::StsOutOfRange, cv::format("%s: '%s' is %llu bytes, above the limit of %llu bytes (%s)", who,
                                                  path.c_str(), (unsigned long long)size_, (unsigned long long)maxBytes,
                                                  kVariables[limit]));
    }
    const int fl = ::fcntl(fd_, F_GETFL);
    if (fl >= 0)
        ::fcntl(fd_, F_SETFL, fl & ~O_NONBLOCK);
}

InputFile::~InputFile()
{
    if (fd_ >= 0)
        ::close(fd_);
}

size_t InputFile::read(void* dst, size_t n)
{
    size_t got = 0;
    while (got < n)
    {
        const ssize_t r = ::read(fd_, (char*)dst + got, std::min<size_t>(n - got, (size_t)1 << 30));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            CV_Error(Error::StsError, cv::format("%s: error reading '%s' (%s)", who_, path_.c_str(), std::strerror(errno)));
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return got;
}

std::string InputFile::readAll()
{
    std::string s((size_t)size_, '\0');
    const size_t n = read(&s[0], s.size());
    s.resize(n); // a file that shrank meanwhile; one that grew is read up to its checked size
    return s;
}

FILE* InputFile::releaseToFILE()
{
    FILE* f = ::fdopen(fd_, "rb");
    if (!f)
        CV_Error(Error::StsError, cv::format("%s: cannot read '%s' (%s)", who_, path_.c_str(), std::strerror(errno)));
    fd_ = -1;
    return f;
}

uint64 checkInputFile(const String& path, const char* who, int limit)
{
    InputFile f(path, who, limit);
    return f.size();
}

namespace {

// Inflates the whole gzip (or zlib) stream of f, members one after another, handing each output block to
// sink(data, n); stops with an error as soon as the total passes maxBytes.
template <typename Sink>
uint64 inflateAll(InputFile& f, const String& path, const char* who, uint64 maxBytes, const char* variable, Sink sink)
{
    if (::lseek(f.fd(), 0, SEEK_SET) != 0)
        CV_Error(Error::StsError, cv::format("%s: cannot rewind '%s'", who, path.c_str()));
    z_stream zs;
    std::memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        CV_Error(Error::StsNoMem, cv::format("%s: zlib initialisation failed", who));
    struct Guard { z_stream* z; ~Guard() { inflateEnd(z); } } guard{&zs};
    std::vector<unsigned char> in((size_t)1 << 20), out((size_t)1 << 20);
    uint64 total = 0;
    bool ended = false;
    for (;;)
    {
        if (zs.avail_in == 0)
        {
            const size_t n = f.read(in.data(), in.size());
            if (n == 0)
                break;
            zs.next_in = in.data();
            zs.avail_in = (uInt)n;
        }
        if (ended) // another gzip member follows (as gzread reads them)
        {
            inflateReset(&zs);
            ended = false;
        }
        zs.next_out = out.data();
        zs.avail_out = (uInt)out.size();
        const int rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            CV_Error(Error::StsParseError, cv::format("%s: '%s' is corrupt gzip data (%s)", who, path.c_str(),
                                                      zs.msg ? zs.msg : "inflate failed"));
        const size_t produced = out.size() - zs.avail_out;
        total += produced;
        if (total > maxBytes)
            CV_Error(Error::StsOutOfRange, cv::format("%s: '%s' inflates to more than the limit of %llu bytes (%s): "
                                                      "refused (a gzip bomb?)", who, path.c_str(),
                                                      (unsigned long long)maxBytes, variable));
        sink(out.data(), produced);
        if (rc == Z_STREAM_END)
            ended = true;
        else if (rc == Z_BUF_ERROR && zs.avail_in != 0 && produced == 0)
            CV_Error(Error::StsParseError, cv::format("%s: '%s' is corrupt gzip data", who, path.c_str()));
    }
    if (!ended)
        CV_Error(Error::StsParseError, cv::format("%s: '%s' is truncated gzip data", who, path.c_str()));
    return total;
}

} // namespace

std::string readTextCapped(const String& path, const char* who, int limit, bool gunzip)
{
    InputFile f(path, who, limit);
    unsigned char magic[2] = {0, 0};
    const size_t m = f.read(magic, 2);
    if (!(gunzip && m == 2 && magic[0] == 0x1f && magic[1] == 0x8b))
    {
        if (::lseek(f.fd(), 0, SEEK_SET) != 0)
            CV_Error(Error::StsError, cv::format("%s: cannot rewind '%s'", who, path.c_str()));
        return f.readAll();
    }
    const uint64 maxBytes = inputLimit(limit);
    const char* variable = inputLimitVariable(limit);
    // Pass 1 measures (constant memory), pass 2 fills one exact-size buffer: never two copies, never more than the limit.
    const uint64 total = inflateAll(f, path, who, maxBytes, variable, [](const unsigned char*, size_t) {});
    std::string text;
    text.reserve((size_t)total);
    inflateAll(f, path, who, (uint64)total, variable,
               [&](const unsigned char* d, size_t n) { text.append((const char*)d, n); });
    return text;
}

void rethrowAsCvException(const char* where)
{
    try
    {
        throw;
    }
    catch (const cv::Exception&)
    {
        throw;
    }
    catch (const std::bad_alloc&)
    {
        CV_Error(Error::StsNoMem, cv::format("%s: out of memory (std::bad_alloc)", where));
    }
    catch (const std::exception& e)
    {
        CV_Error(Error::StsError, cv::format("%s: %s", where, escapeForMessage(e.what()).c_str()));
    }
    catch (...)
    {
        CV_Error(Error::StsError, cv::format("%s: unknown exception", where));
    }
}

}}} // namespace cv::zsl::detail
