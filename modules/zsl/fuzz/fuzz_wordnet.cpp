// This file is part of the opencv_zsl module (cv::zsl).
// Fuzzes ClassHierarchy::loadWordNet (WordNet data.noun) and readClassIdList: the input's first byte
// selects the reader (even: WordNet, odd: id list), the rest is the file. A loaded hierarchy is walked
// (paths to the root, hop distances), so a corrupt graph that slipped through would show here.
#include "fuzz_common.hpp"
#include "opencv2/zsl/class_hierarchy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const std::string path = zslfuzz::inputFile(data + 1, size - 1, ".noun");
    zslfuzz::expectOnlyCvExceptions([&] {
        if (data[0] & 1)
        {
            cv::zsl::readClassIdList(path);
            return;
        }
        cv::Ptr<cv::zsl::ClassHierarchy> h = cv::zsl::ClassHierarchy::loadWordNet(path);
        std::vector<int> d;
        for (int v = 0; v < h->size(); v++)
            h->pathToRoot(v);
        h->hopDistances({0}, 3, d);
    });
    return 0;
}
