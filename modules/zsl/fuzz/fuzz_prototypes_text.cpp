// This file is part of the opencv_zsl module (cv::zsl).
// Fuzzes readPrototypesText: a matrix file, optionally with a names file. A 0xFF byte in the input
// splits it into matrix | names, so both readers and their consistency checks are reached.
#include "fuzz_common.hpp"
#include "opencv2/zsl/prototypes.hpp"
#include <algorithm>
#include <fstream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const uint8_t* split = std::find(data, data + size, (uint8_t)0xFF);
    const std::string matrixPath = zslfuzz::inputFile(data, (size_t)(split - data), ".txt");
    std::string namesPath;
    if (split != data + size)
    {
        namesPath = matrixPath + ".names";
        std::ofstream(namesPath, std::ios::binary | std::ios::trunc)
            .write(reinterpret_cast<const char*>(split + 1), (std::streamsize)(data + size - split - 1));
    }
    zslfuzz::expectOnlyCvExceptions([&] {
        cv::zsl::ClassPrototypes p = cv::zsl::readPrototypesText(matrixPath, namesPath);
        if (p.size() > 0)
            p.validate();
    });
    return 0;
}
