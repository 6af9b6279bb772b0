// This file is part of the opencv_zsl module (cv::zsl).
// libFuzzer harness support: the module's loaders take paths, so each input is written to a
// per-process temporary file first. A cv::Exception is the expected answer to bad input;
// anything else (crash, sanitizer report, timeout, out-of-memory) is a finding.
#ifndef OPENCV_ZSL_FUZZ_COMMON_HPP
#define OPENCV_ZSL_FUZZ_COMMON_HPP

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

namespace zslfuzz {

inline std::string inputFile(const uint8_t* data, size_t size, const char* suffix)
{
    static const std::string path = cv::format("/tmp/zsl_fuzz_%d%s", (int)::getpid(), suffix);
    static bool quiet = (cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT), true);
    (void)quiet;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), (std::streamsize)size);
    return path;
}

template <typename F>
inline void expectOnlyCvExceptions(F&& f)
{
    try
    {
        f();
    }
    catch (const cv::Exception&)
    {
    }
}

} // namespace zslfuzz

#endif
