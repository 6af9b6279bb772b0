// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "opencv2/zsl/atomic_file.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace cv {
namespace zsl {

namespace fs = std::filesystem;

namespace {

const size_t kBufferBytes = (size_t)1 << 20;

String osError(int err)
{
    return cv::format("%s (errno %d)", std::strerror(err), err);
}

String directoryOf(const String& path)
{
    const fs::path p(path);
    return p.has_parent_path() ? p.parent_path().string() : String(".");
}

bool endsWith(const String& s, const char* suffix)
{
    const size_t n = std::strlen(suffix);
    if (s.size() < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (std::tolower((unsigned char)s[s.size() - n + i]) != suffix[i])
            return false;
    return true;
}

} // namespace

AtomicFile::AtomicFile(const String& path) : path_(path)
{
    if (path.empty())
        CV_Error(Error::StsBadArg, "zsl: empty output file name");
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        CV_Error(Error::StsBadArg, cv::format("zsl: cannot write '%s': it is a directory", path.c_str()));
    const String dir = directoryOf(path);
    if (::stat(dir.c_str(), &st) != 0)
        CV_Error(Error::StsError, cv::format("zsl: cannot write '%s': directory '%s': %s", path.c_str(), dir.c_str(),
                                             osError(errno).c_str()));
    if (!S_ISDIR(st.st_mode))
        CV_Error(Error::StsError, cv::format("zsl: cannot write '%s': '%s' is not a directory", path.c_str(), dir.c_str()));
    static std::atomic<unsigned> counter{0};
    // Same directory (the rename stays atomic), hidden, unique per process and call.
    tmpPath_ = (fs::path(dir) / cv::format(".zsl-tmp-%d-%u-%s", (int)::getpid(), counter++,
                                           fs::path(path).filename().string().c_str())).string();
    fd_ = ::open(tmpPath_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0)
        CV_Error(Error::StsError, cv::format("zsl: cannot write '%s': creating a temporary file in '%s': %s",
                                             path.c_str(), dir.c_str(), osError(errno).c_str()));
    buffer_.reserve(kBufferBytes);
}

AtomicFile::~AtomicFile()
{
    if (!committed_)
        abandon();
}

void AtomicFile::abandon() noexcept
{
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    if (!tmpPath_.empty())
        ::unlink(tmpPath_.c_str());
    tmpPath_.clear();
}

void AtomicFile::flushBuffer()
{
    const char* p = buffer_.data();
    size_t left = buffer_.size();
    while (left > 0)
    {
        const ssize_t n = ::write(fd_, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
        {
            const int err = n < 0 ? errno : ENOSPC;
            abandon();
            CV_Error(Error::StsError, cv::format("zsl: writing '%s' failed after %zu bytes: %s (the previous file, if any, is kept)",
                                                 path_.c_str(), written_, osError(err).c_str()));
        }
        p += n;
        left -= (size_t)n;
        written_ += (size_t)n;
    }
    buffer_.clear();
}

void AtomicFile::write(const void* data, size_t size)
{
    if (committed_ || fd_ < 0)
        CV_Error(Error::StsError, cv::format("zsl: '%s' is already committed or abandoned", path_.c_str()));
    if (size == 0)
        return;
    CV_Assert(data != nullptr);
    const char* p = static_cast<const char*>(data);
    while (size > 0)
    {
        const size_t n = std::min(size, kBufferBytes - buffer_.size());
        buffer_.append(p, n);
        p += n;
        size -= n;
        if (buffer_.size() == kBufferBytes)
            flushBuffer();
    }
}

void AtomicFile::commit()
{
    if (committed_ || fd_ < 0)
        CV_Error(Error::StsError, cv::format("zsl: '%s' is already committed or abandoned", path_.c_str()));
    flushBuffer();
    // Errors of delayed allocation (ENOSPC, EIO, quotas on network file systems) surface here.
    if (::fsync(fd_) != 0)
    {
        const int err = errno;
        abandon();
        CV_Error(Error::StsError, cv::format("zsl: flushing '%s' to disk failed: %s (the previous file, if any, is kept)",
                                             path_.c_str(), osError(err).c_str()));
    }
    struct stat st;
    if (::fstat(fd_, &st) != 0 || (size_t)st.st_size != written_)
    {
        abandon();
        CV_Error(Error::StsError, cv::format("zsl: '%s': the temporary file does not hold the %zu bytes written",
                                             path_.c_str(), written_));
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0)
    {
        const int err = errno;
        abandon();
        CV_Error(Error::StsError, cv::format("zsl: closing '%s' failed: %s (the previous file, if any, is kept)",
                                             path_.c_str(), osError(err).c_str()));
    }
    if (::rename(tmpPath_.c_str(), path_.c_str()) != 0)
    {
        const int err = errno;
        abandon();
        CV_Error(Error::StsError, cv::format("zsl: cannot replace '%s': %s (the previous file, if any, is kept)",
                                             path_.c_str(), osError(err).c_str()));
    }
    committed_ = true;
    tmpPath_.clear();
    // The rename itself reaches the disk with the directory (best effort: not every file system
    // lets a directory be opened).
    const int dfd = ::open(directoryOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
    {
        ::fsync(dfd);
        ::close(dfd);
    }
}

void writeFileAtomically(const String& path, const std::string& bytes)
{
    AtomicFile f(path);
    f.write(bytes);
    f.commit();
}

bool isStorageFileName(const String& path)
{
    String p = path;
    if (endsWith(p, ".gz"))
        p = p.substr(0, p.size() - 3);
    return endsWith(p, ".yml") || endsWith(p, ".yaml") || endsWith(p, ".xml") || endsWith(p, ".json");
}

static std::string gzipBytes(const std::string& text, const String& path)
{
    z_stream z;
    std::memset(&z, 0, sizeof(z));
    // windowBits 15 + 16: a gzip header, as gzopen() (FileStorage's reader) expects.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        CV_Error(Error::StsError, cv::format("zsl: zlib cannot start compressing '%s'", path.c_str()));
    std::string out(deflateBound(&z, (uLong)text.size()), '\0');
    z.next_in = (Bytef*)text.data();
    z.avail_in = (uInt)text.size();
    z.next_out = (Bytef*)&out[0];
    z.avail_out = (uInt)out.size();
    const int rc = deflate(&z, Z_FINISH);
    const size_t produced = out.size() - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        CV_Error(Error::StsError, cv::format("zsl: zlib error %d compressing '%s'", rc, path.c_str()));
    out.resize(produced);
    return out;
}

void writeStorageAtomically(const String& path, const std::function<void(FileStorage& fs)>& writer)
{
    if (!isStorageFileName(path))
        CV_Error(Error::StsBadArg, cv::format("zsl: '%s': unsupported output extension (use .yml, .yaml, .xml or .json, "
                                              "optionally followed by .gz)", path.c_str()));
    const bool gz = endsWith(path, ".gz");
    const String formatName = gz ? path.substr(0, path.size() - 3) : path;
    if (formatName.size() > (size_t)std::numeric_limits<uInt>::max())
        CV_Error(Error::StsBadArg, "zsl: output file name too long");
    std::string text;
    {
        // In memory: FileStorage's stdio writes are not checked, ours are.
        FileStorage fs(formatName, FileStorage::WRITE | FileStorage::MEMORY);
        if (!fs.isOpened())
            CV_Error(Error::StsError, cv::format("zsl: cannot start a FileStorage document for '%s'", path.c_str()));
        writer(fs);
        text = fs.releaseAndGetString();
    }
    if (gz)
    {
        if (text.size() > (size_t)std::numeric_limits<uInt>::max())
            CV_Error(Error::StsOutOfRange, cv::format("zsl: '%s': more than 4 GB of text to compress", path.c_str()));
        text = gzipBytes(text, path);
    }
    writeFileAtomically(path, text);
}

}} // namespace cv::zsl
