// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "io/atomic_file.hpp"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fcntl.h>
#include <unistd.h>

namespace cv {
namespace zsl {
namespace detail {

namespace fs = std::filesystem;

// A rename is atomic only once the data is on disk; otherwise a crash can leave an empty file.
static void syncPath(const fs::path& p, bool directory)
{
    int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
    {
        if (directory)
            return; // best effort: some file systems do not allow opening directories
        CV_Error(Error::StsError, cv::format("zsl: cannot reopen '%s' to flush it", p.c_str()));
    }
    ::fsync(fd);
    ::close(fd);
}

void writeAtomically(const String& path, const std::function<void(const String& tmpPath)>& writer)
{
    if (path.empty())
        CV_Error(Error::StsBadArg, "zsl: empty output file name");
    static std::atomic<unsigned> counter{0};
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    const fs::path tmp = dir / cv::format(".zsl-tmp-%d-%u-%s", (int)::getpid(), counter++,
                                          target.filename().string().c_str());
    try
    {
        writer(tmp.string());
        if (!fs::exists(tmp))
            CV_Error(Error::StsError, cv::format("zsl: writing '%s' produced no file", path.c_str()));
        syncPath(tmp, false);
        std::error_code ec;
        fs::rename(tmp, target, ec);
        if (ec)
            CV_Error(Error::StsError, cv::format("zsl: cannot rename the temporary file onto '%s': %s",
                                                 path.c_str(), ec.message().c_str()));
        syncPath(dir, true);
    }
    catch (...)
    {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw;
    }
}

}}} // namespace cv::zsl::detail
