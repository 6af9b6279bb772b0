// This file is part of the opencv_zsl module (cv::zsl).
// Internal, header-only: resident-memory figures of this process (Linux /proc), for the tests and
// benchmark programs that bound or report memory growth.
#ifndef OPENCV_ZSL_PROCESS_MEMORY_HPP
#define OPENCV_ZSL_PROCESS_MEMORY_HPP

#include <cstring>
#include <fstream>
#include <string>

namespace cv {
namespace zsl {
namespace detail {

//! A kB field of /proc/self/status ("VmRSS", "VmHWM"), or -1 when unavailable.
inline long procStatusKb(const char* key)
{
    std::ifstream f("/proc/self/status");
    std::string line;
    const size_t n = std::strlen(key);
    while (std::getline(f, line))
        if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':')
            return std::stol(line.substr(n + 1));
    return -1;
}

//! Resets VmHWM to the current VmRSS (Linux >= 4.0); false when /proc/self/clear_refs is not writable.
inline bool resetPeakResident()
{
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
    return f.good();
}

}}} // namespace cv::zsl::detail

#endif
