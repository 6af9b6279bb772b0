// The README usage example in its closest runnable form: no ONNX backbone or image set is needed, so the
// "images" are synthetic visual features (train()/predict() instead of trainImages()/predictImages()).
// Exits non-zero unless unseen classes are recognised, addClass() works and save()/load() round-trips.
#include <opencv2/zsl.hpp>
#include <cstdio>
#include <string>
#include <vector>
using namespace cv::zsl;

static cv::Mat featuresOf(const cv::Mat& attributes, const cv::Mat& W, const std::vector<int>& labels, cv::RNG& rng)
{
    cv::Mat X((int)labels.size(), W.cols, CV_32F);
    for (int i = 0; i < X.rows; i++)
    {
        cv::Mat row = attributes.row(labels[i]) * W;   // visual features linear in the class attributes
        cv::Mat noise(1, W.cols, CV_32F);
        rng.fill(noise, cv::RNG::NORMAL, 0, 0.05);
        X.row(i) = row + noise;
    }
    return X;
}

int main(int argc, char** argv)
{
    const std::string modelPath = argc > 1 ? argv[1] : "consumer_eszsl.yml.gz";
    cv::RNG rng(12345);
    const int A = 8, D = 32, C = 15, S = 12, perClass = 30; // 12 seen, 3 unseen + "okapi"
    std::vector<cv::String> names;
    for (int c = 0; c < C; c++)
        names.push_back("class_" + std::to_string(c));
    cv::Mat att(C + 1, A, CV_32F);                       // last row: the class added at run time
    rng.fill(att, cv::RNG::UNIFORM, 0.f, 1.f);
    cv::Mat W(A, D, CV_32F);
    rng.fill(W, cv::RNG::NORMAL, 0, 1);

    ClassPrototypes all(names, att.rowRange(0, C));     // 15 classes x 8 attributes
    std::vector<cv::String> seenNames(names.begin(), names.begin() + S), unseenNames(names.begin() + S, names.end());
    ClassPrototypes seen = all.select(seenNames), unseen = all.select(unseenNames);

    std::vector<int> trainLabels, testLabels;           // labels index rows of `seen` / of `all`
    for (int c = 0; c < S; c++)
        for (int i = 0; i < perClass; i++)
            trainLabels.push_back(c);
    for (int c = S; c <= C; c++)
        for (int i = 0; i < 20; i++)
            testLabels.push_back(c);
    cv::Mat trainFeatures = featuresOf(att, W, trainLabels, rng);
    cv::Mat testFeatures = featuresOf(att, W, testLabels, rng);

    ZeroShotClassifier::Params params;                  // ESZSL by default
    cv::Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(trainFeatures, cv::Mat(trainLabels), seen);
    zsl->setUnseenClasses(unseen);                      // no retraining
    zsl->addClass("okapi", att.row(C));                 // a new class at run time
    cv::Mat labels, scores;
    zsl->predict(testFeatures, labels, scores, 2);      // top-2 unseen classes

    const ClassPrototypes classes = zsl->getClasses();
    int correct = 0;
    for (int i = 0; i < labels.rows; i++)
    {
        const cv::String& predicted = classes.names[labels.at<int>(i, 0)];
        const cv::String expected = testLabels[i] == C ? cv::String("okapi") : names[testLabels[i]];
        correct += predicted == expected;
    }
    const double accuracy = (double)correct / labels.rows;
    std::printf("opencv_zsl consumer: %s, unseen top-1 accuracy %.3f over %d samples of %d unseen classes\n",
                methodName(zsl->getParams().method).c_str(), accuracy, labels.rows, C + 1 - S);

    zsl->save(modelPath);                               // atomic; load() reads it back
    cv::Ptr<ZeroShotClassifier> loaded = ZeroShotClassifier::load(modelPath);
    cv::Mat labels2, scores2;
    loaded->predict(testFeatures, labels2, scores2, 2);
    const bool same = cv::countNonZero(labels != labels2) == 0 && cv::norm(scores, scores2, cv::NORM_INF) < 1e-5;
    std::printf("save/load round trip: %s\n", same ? "identical predictions" : "DIFFERENT predictions");
    std::remove(modelPath.c_str());
    if (accuracy < 0.9 || !same)
    {
        std::printf("FAILED\n");
        return 1;
    }
    std::printf("OK\n");
    return 0;
}
