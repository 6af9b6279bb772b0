// This file is part of the opencv_zsl module (cv::zsl).
// Fuzzes readPrototypesText: a matrix file, optionally with a names file. A 0xFF byte in the input
// splits it into matrix | names, so both readers and their consistency checks are reached.
#include "fuzz_common.hpp"
#include "opencv2/zsl/prototypes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string matrixPath = zslfuzz::inputPath(".txt");
    const std::string namesPath = zslfuzz::writePrototypeTextInput(data, size, matrixPath);
    zslfuzz::expectOnlyCvExceptions([&] {
        cv::zsl::ClassPrototypes p = cv::zsl::readPrototypesText(matrixPath, namesPath);
        if (p.size() > 0)
            p.validate();
    });
    return 0;
}
