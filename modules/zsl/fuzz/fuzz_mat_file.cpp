// This file is part of the opencv_zsl module (cv::zsl).
// Fuzzes the MAT-file reader (MatFile::decode) and every accessor on what it accepts.
#include "fuzz_common.hpp"
#include "opencv2/zsl/mat_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static bool quiet = (cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT), true);
    (void)quiet;
    zslfuzz::expectOnlyCvExceptions([&] {
        cv::zsl::MatFile mat;
        mat.decode(std::vector<uchar>(data, data + size), "fuzz");
        for (const cv::String& name : mat.names())
        {
            // Each accessor may refuse a variable, but only with a cv::Exception.
            zslfuzz::expectOnlyCvExceptions([&] { mat.matrix(name); });
            zslfuzz::expectOnlyCvExceptions([&] { mat.matrix(name, CV_32F); });
            zslfuzz::expectOnlyCvExceptions([&] { mat.strings(name); });
        }
        // What was read can be written and read back.
        cv::zsl::MatFile again;
        again.decode(mat.encode(), "fuzz-rewritten");
    });
    return 0;
}
