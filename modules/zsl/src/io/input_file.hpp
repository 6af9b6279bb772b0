// This file is part of the opencv_zsl module (cv::zsl).
// Internal: bounded reading of input files (regular files only, byte limits, capped gunzip), message
// escaping, and the public-boundary conversion of std exceptions into cv::Exception.
#ifndef OPENCV_ZSL_INPUT_FILE_HPP
#define OPENCV_ZSL_INPUT_FILE_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl/input_limits.hpp"
#include <cstdio>
#include <exception>
#include <new>
#include <string>

namespace cv {
namespace zsl {
namespace detail {

//! The limit in bytes and the name of its environment variable.
uint64 inputLimit(int limit);
const char* inputLimitVariable(int limit);

/** A regular file opened for reading: open(O_NONBLOCK) + fstat, so a FIFO or device is refused at once
    (never blocks), and its size is checked against `limit` (an InputLimit) before anything is read. */
class InputFile
{
public:
    InputFile(const String& path, const char* who, int limit);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    uint64 size() const { return size_; }
    int fd() const { return fd_; }
    /** Reads up to n bytes (fewer only at end of file); errors are cv::Exception. */
    size_t read(void* dst, size_t n);
    /** The whole file (exactly size() bytes, one allocation). */
    std::string readAll();
    /** Hands the descriptor to a stdio stream (the caller fcloses it). */
    FILE* releaseToFILE();
private:
    String path_;
    const char* who_;
    int fd_ = -1;
    uint64 size_ = 0;
};

/** Opens, checks and closes: for paths handed to third-party readers (cv::dnn). Returns the size. */
uint64 checkInputFile(const String& path, const char* who, int limit);

/** The whole text of a file; gzip data (magic 1f 8b) is inflated, the inflated size capped at `limit`
    (measured by a streaming pass before the one exact-size allocation: peak memory <= limit + buffers). */
std::string readTextCapped(const String& path, const char* who, int limit, bool gunzip);

/** s with non-printable bytes as \xNN and at most maxLen characters (then "..."): safe in a message. */
std::string escapeForMessage(const std::string& s, size_t maxLen = 200);

/** Rethrows a std exception (bad_alloc, length_error, boost's) as cv::Exception naming `where`. */
[[noreturn]] void rethrowAsCvException(const char* where);

/** Runs f; anything but a cv::Exception leaves as one (out of memory: StsNoMem). */
template <typename F>
auto publicBoundary(const char* where, F&& f) -> decltype(f())
{
    try
    {
        return f();
    }
    catch (const cv::Exception&)
    {
        throw;
    }
    catch (...)
    {
        rethrowAsCvException(where);
    }
}

}}} // namespace cv::zsl::detail

#endif
