// This file is part of the opencv_zsl module (cv::zsl).
// Fuzzes TrainingStatistics::load (binary header checked against the file size, CRC-32, value checks).
#include "fuzz_common.hpp"
#include "opencv2/zsl/training_statistics.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = zslfuzz::inputFile(data, size, ".zslstats");
    zslfuzz::expectOnlyCvExceptions([&] {
        cv::Ptr<cv::zsl::TrainingStatistics> s = cv::zsl::TrainingStatistics::load(path);
        // Statistics that load merge and train (or refuse with a cv::Exception: singular, no samples, ...).
        s->merge(s->clone());
        if (s->numClasses() < 2 || s->featureDim() > 64)
            return;
        cv::zsl::ClassPrototypes seen;
        seen.vectors = cv::Mat::eye(s->numClasses(), 2, CV_32F) + 0.5;
        for (int c = 0; c < s->numClasses(); c++)
            seen.names.push_back(cv::format("c%d", c));
        cv::zsl::ZeroShotClassifier::Params params;
        params.normalizeFeatures = s->normalizesFeatures();
        for (int method : {(int)cv::zsl::ZeroShotClassifier::ESZSL, (int)cv::zsl::ZeroShotClassifier::SAE})
        {
            params.method = method;
            try { s->train(params, seen); } catch (const cv::Exception&) {}
        }
    });
    return 0;
}
