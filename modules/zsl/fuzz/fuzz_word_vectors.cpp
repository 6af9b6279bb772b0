// This file is part of the opencv_zsl module (cv::zsl).
// Fuzzes WordVectors::load in every format. The first byte picks the format, case folding and a
// vocabulary filter, so that each reader path (and the filtered one) is reached from one corpus.
#include "fuzz_common.hpp"
#include "opencv2/zsl/word_vectors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const std::string path = zslfuzz::inputFile(data + 1, size - 1, ".vec");
    const cv::zsl::WordVectorsLoadOptions options = zslfuzz::wordVectorOptions(data[0]);
    zslfuzz::expectOnlyCvExceptions([&] {
        cv::Ptr<cv::zsl::WordVectors> wv = cv::zsl::WordVectors::load(path, options);
        if (wv->size() == 0)
            return;
        // What loads must be usable: lookups, prototypes, neighbours.
        const std::vector<cv::String> words = wv->getWords();
        cv::Mat v, idx, sim;
        zslfuzz::expectOnlyCvExceptions([&] { wv->lookup({ words.front(), words.back() + "+" + words.front() }, v); });
        zslfuzz::expectOnlyCvExceptions([&] { wv->prototypes(words, cv::zsl::OOV_SKIP_WORDS); });
        zslfuzz::expectOnlyCvExceptions([&] { wv->nearestWords(wv->getVectors().row(0), 3, idx, sim); });
    });
    return 0;
}
