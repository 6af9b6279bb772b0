// This file is part of the opencv_zsl module (cv::zsl).
// Fuzzes ZeroShotClassifier::load on YAML input (the format's structure is what our reader checks).
#include "fuzz_common.hpp"
#include "opencv2/zsl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = zslfuzz::inputFile(data, size, ".yml");
    zslfuzz::expectOnlyCvExceptions([&] {
        cv::Ptr<cv::zsl::ZeroShotClassifier> zsl = cv::zsl::ZeroShotClassifier::load(path);
        // A model that loads must also be usable.
        cv::Mat x = cv::Mat::ones(2, zsl->getClasses().dims() > 0 ? 4 : 1, CV_32F), scores;
        zsl->computeScores(x, scores);
    });
    return 0;
}
