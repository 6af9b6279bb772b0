// This file is part of the opencv_zsl module (cv::zsl).
// Fuzzes readPrototypesJSON (Boost.JSON parse + structure checks) and the write/read round trip.
#include "fuzz_common.hpp"
#include "opencv2/zsl/prototypes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = zslfuzz::inputFile(data, size, ".json");
    zslfuzz::expectOnlyCvExceptions([&] {
        cv::zsl::ClassPrototypes p = cv::zsl::readPrototypesJSON(path);
        // Whatever was accepted is valid and survives a write/read round trip unchanged.
        p.validate();
        const std::string again = path + ".out.json";
        cv::zsl::writePrototypesJSON(again, p);
        cv::zsl::ClassPrototypes q = cv::zsl::readPrototypesJSON(again);
        if (q.names != p.names || cv::norm(q.vectors, p.vectors, cv::NORM_INF) != 0)
            __builtin_trap();
    });
    return 0;
}
