// This file is part of the opencv_zsl module (cv::zsl).
// Fuzzes GalleryIndex::load (versioned binary header, ids, vectors, parameters of the ANN structure).
#include "fuzz_common.hpp"
#include "opencv2/zsl/gallery_index.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = zslfuzz::inputFile(data, size, ".zslidx");
    zslfuzz::expectOnlyCvExceptions([&] {
        cv::Ptr<cv::zsl::GalleryIndex> g = cv::zsl::GalleryIndex::load(path);
        if (g->size() == 0)
            return;
        // An index that loads answers queries, exactly and (when it has one) approximately.
        cv::Mat q = g->getVectors().row(0).clone(), idx, sim;
        g->search(q, 3, idx, sim, cv::zsl::GalleryIndex::SEARCH_EXACT);
        if (g->hasApproximate())
            g->search(q, 3, idx, sim, cv::zsl::GalleryIndex::SEARCH_APPROXIMATE);
    });
    return 0;
}
