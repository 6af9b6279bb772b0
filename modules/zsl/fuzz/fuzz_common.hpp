// This file is part of the opencv_zsl module (cv::zsl).
// libFuzzer harness support: the module's loaders take paths, so each input is written to a
// per-process temporary file first. A cv::Exception is the expected answer to bad input;
// anything else (crash, sanitizer report, timeout, out-of-memory) is a finding.
#ifndef OPENCV_ZSL_FUZZ_COMMON_HPP
#define OPENCV_ZSL_FUZZ_COMMON_HPP

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include "opencv2/zsl/word_vectors.hpp"
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

namespace zslfuzz {

// The per-process file a harness writes its input to (loaders take paths).
inline std::string inputPath(const char* suffix)
{
    static bool quiet = (cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT), true);
    (void)quiet;
    return cv::format("/tmp/zsl_fuzz_%d%s", (int)::getpid(), suffix);
}

inline void writeFile(const std::string& path, const uint8_t* data, size_t size)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), (std::streamsize)size);
}

inline std::string inputFile(const uint8_t* data, size_t size, const char* suffix)
{
    const std::string path = inputPath(suffix);
    writeFile(path, data, size);
    return path;
}

/** fuzz_word_vectors: the input's first byte selects the load options (format, case folding, a
    vocabulary filter, a word limit), the rest is the file. Shared with the corpus replay test. */
inline cv::zsl::WordVectorsLoadOptions wordVectorOptions(uint8_t control)
{
    cv::zsl::WordVectorsLoadOptions options;
    options.format = control & 3; // WORDVEC_AUTO, _WORD2VEC_BINARY, _TEXT, _GLOVE
    options.caseFold = (control & 4) != 0;
    if (control & 8)
        options.vocabulary = { "zebra", "horse", "sea+lion" };
    if (control & 16)
        options.maxWords = 2;
    return options;
}

/** fuzz_prototypes_text: a 0xFF byte splits the input into a matrix file (written to matrixPath) and
    a names file (matrixPath + ".names"); returns the names path, empty when there is no 0xFF. */
inline std::string writePrototypeTextInput(const uint8_t* data, size_t size, const std::string& matrixPath)
{
    const uint8_t* split = std::find(data, data + size, (uint8_t)0xFF);
    writeFile(matrixPath, data, (size_t)(split - data));
    if (split == data + size)
        return std::string();
    const std::string namesPath = matrixPath + ".names";
    writeFile(namesPath, split + 1, (size_t)(data + size - split - 1));
    return namesPath;
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
