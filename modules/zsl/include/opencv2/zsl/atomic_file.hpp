// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_ATOMIC_FILE_HPP
#define OPENCV_ZSL_ATOMIC_FILE_HPP

#include <opencv2/core.hpp>
#include <functional>
#include <string>

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Crash-safe replacement of one output file: every writer of the module (models, prototypes,
galleries, word vectors, MAT files) and of its samples goes through it.

Bytes go to a temporary file beside the target (same directory, so the final rename is atomic).
Every write(), the fsync() and the close() are checked; commit() then renames the temporary file
over the target and flushes the directory. Until commit() returns, the target is untouched
(byte-identical if it existed); when anything fails (ENOSPC, EIO, a read-only or missing directory,
a target that is a directory) a cv::Exception names the file and the OS error, and the temporary
file is removed. An AtomicFile destroyed without commit() (an exception in the caller) removes its
temporary file too.

Thread safety: one AtomicFile must not be used from several threads at once; different AtomicFile
objects (also for the same target: the last commit() wins, each file is complete) may.
*/
class CV_EXPORTS AtomicFile
{
public:
    /** @brief Creates the temporary file for `path`.
    @throws cv::Exception when `path` is empty or a directory, or its directory is missing or not writable. */
    explicit AtomicFile(const String& path);
    ~AtomicFile();

    /** @brief Appends `size` bytes. @throws cv::Exception (with the OS error) when they cannot be written. */
    void write(const void* data, size_t size);
    void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }

    /** @brief Flushes to disk, closes, checks the size on disk and renames over the target. Call once. */
    void commit();

    //! The target path.
    const String& path() const { return path_; }

    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

private:
    void flushBuffer();
    void abandon() noexcept;

    String path_, tmpPath_;
    std::string buffer_; // small writes are gathered into few system calls
    int fd_ = -1;
    size_t written_ = 0;
    bool committed_ = false;
};

/** @brief Writes `bytes` to `path` through an AtomicFile (complete file or cv::Exception, old file kept). */
CV_EXPORTS void writeFileAtomically(const String& path, const std::string& bytes);

/** @brief Writes a cv::FileStorage document to `path` atomically.

The format follows the extension as in cv::FileStorage: .yml/.yaml, .xml, .json, each optionally
followed by .gz (gzip-compressed here with zlib). `writer` fills the storage in memory; the text is then
written through an AtomicFile, so FileStorage's unchecked stdio writes never touch the disk.
@throws cv::Exception for an unsupported extension or any write error (the old file is kept). */
CV_EXPORTS void writeStorageAtomically(const String& path, const std::function<void(FileStorage& fs)>& writer);

/** @brief Whether `path` has an extension writeStorageAtomically() supports (.yml, .yaml, .xml, .json, +.gz). */
CV_EXPORTS bool isStorageFileName(const String& path);

//! @}

}} // namespace cv::zsl

#endif
