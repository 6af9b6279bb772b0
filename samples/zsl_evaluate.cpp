// This file is part of the opencv_zsl module (cv::zsl).
// Zero-shot evaluation on real images: Fashion-MNIST with the attribute table and seen/unseen splits of
// data/fashion_mnist. For every split, the split's backbone (trained on seen-class images only, see
// tools/train_fashion_backbone.py) encodes images through cv::zsl::VisualEncoder; every compatibility
// method of this build is trained on seen-class features, its hyper-parameters and GZSL calibration
// chosen on seen-class validation images only (some seen classes play the unseen ones), and it is
// tested on the Fashion-MNIST test images: ZSL per-class top-1 on unseen classes, GZSL seen / unseen / H.
//
//   ./build/zsl_evaluate                 # all splits, all methods
//   ./build/zsl_evaluate --methods=ESZSL,SAE --splits=split1 --train-per-class=300
//   ./build/zsl_evaluate --methods=CADA_VAE --ensemble=5     # seed spread of the final model, and its ensemble
//   ./build/zsl_evaluate --feature-layer='onnx_node!/layer4/layer4.1/Relu_1'   # another backbone layer
#include "sample_cli.hpp"
#include <opencv2/zsl/atomic_file.hpp>
#include "fashion_mnist.hpp"
#include <opencv2/dnn.hpp>
#include <chrono>
#include <iostream>

using namespace cv;
using namespace cv::zsl;
using namespace zslsample;

namespace {

struct Row
{
    String split, method;
    double zsl = 0;
    GzslAccuracy raw, calibrated;
    // Diagnostic only, computed after every choice: the constant that maximises H on the test images
    // themselves (an upper bound on what any calibration could reach; it steers nothing).
    GzslAccuracy oracle;
    double oracleGamma = 0;
    // Rate-matched calibration (Selection::seenFlipRate): the constant that flips the folds' chosen
    // fraction of the final model's own seen validation rows.
    GzslAccuracy rateCalibrated;
    double flipRate = 0, rateGamma = 0;
    double gamma = 0, valZsl = 0, valH = 0, seconds = 0;
    String params;
    bool drawn = false;
};

String describeParams(const ZeroShotClassifier::Params& p)
{
    switch (p.method)
    {
    case ZeroShotClassifier::ESZSL: return format("gamma=%g lambda=%g", p.eszslGamma, p.eszslLambda);
    case ZeroShotClassifier::SAE: return format("lambda=%g %s", p.saeLambda, p.saeDirection ? "visual" : "semantic");
    default:
    {
        String h;
        for (size_t i = 0; i < p.hiddenSizes.size(); i++)
            h += format(i ? "x%d" : "%d", p.hiddenSizes[i]);
        return format("epochs=%d lr=%g hidden=%s", p.epochs, p.learningRate, h.c_str());
    }
    }
}

std::vector<String> splitList(const String& s)
{
    std::vector<String> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!trim(item).empty())
            out.push_back(trim(item));
    return out;
}

// Supervised top-1 (per class) of the backbone's own classifier head on seen-class test images.
double backboneAccuracy(const String& modelPath, const std::vector<Mat>& images, const std::vector<int>& labels,
                        const std::vector<int>& seen)
{
    dnn::Net net = dnn::readNet(modelPath);
    std::vector<int> pred, truth;
    for (size_t i = 0; i < images.size(); i += 500)
    {
        std::vector<Mat> batch;
        for (size_t j = i; j < std::min(images.size(), i + 500); j++)
        {
            Mat bgr;
            cvtColor(padTo32(images[j]), bgr, COLOR_GRAY2BGR);
            batch.push_back(bgr);
            truth.push_back((int)(std::find(seen.begin(), seen.end(), labels[j]) - seen.begin()));
        }
        // (x/255 - mean)/std = (x - 255 mean) * 1/(255 std)
        Mat blob = dnn::blobFromImages(batch, 1.0 / (255.0 * kFashionStd), Size(32, 32), Scalar::all(255.0 * kFashionMean), false, false);
        net.setInput(blob);
        Mat logits = net.forward();
        for (int r = 0; r < logits.rows; r++)
        {
            Point maxLoc;
            minMaxLoc(logits.row(r), nullptr, nullptr, nullptr, &maxLoc);
            pred.push_back(maxLoc.x);
        }
    }
    return perClassAccuracy(pred, truth);
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{help h usage ? |      | print this help }"
        "{data           |      | folder with attributes.csv, splits.json and backbone_<split>.onnx (default: data/fashion_mnist) }"
        "{fashion        | /usr/share/datasets/fashion-mnist | folder of the Fashion-MNIST idx files }"
        "{splits         | all  | comma-separated split names, or all }"
        "{methods        | all  | comma-separated method names (ESZSL,SAE,DEVISE,ALE,SJE,MLP,CONSE,GENERATIVE,CADA_VAE,F_CLSWGAN,TF_VAEGAN), or all }"
        "{train-per-class| 600  | seen-class training images per class (subsampled, deterministic) }"
        "{val-per-class  | 300  | seen-class validation images per class (train images with index % 10 == 0) }"
        "{test-per-class | 0    | test images per class (0: all 1000) }"
        "{extra-splits   | 0    | also evaluate this many further admissible splits drawn with --extra-seed (see drawAdmissibleSplits) }"
        "{extra-seed     | 2026 | seed of the drawn splits }"
        "{feature-layer  |      | backbone layer whose flattened output is the feature (default: the global pooling, 128-d) }"
        "{ensemble       | 1    | final models per method trained with seeds seed..seed+K-1, scores averaged (choices are made with one) }"
        "{markdown       |      | also write the table as Markdown to this file }";
    zsl_samples::Cli cli(argc, argv, keys, "Zero-shot / generalised zero-shot evaluation of every cv::zsl method on Fashion-MNIST splits");
    const cv::CommandLineParser& parser = cli.parser;
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const String fashionDir = parser.get<String>("fashion");
    if (parser.has("markdown")) // checked before the run, written atomically after it
    {
        try
        {
            zsl_samples::checkOutput("--markdown", parser.get<String>("markdown"), {".md", ".markdown", ".txt"}, {});
        }
        catch (const cv::Exception& e)
        {
            std::cerr << "zsl_evaluate: " << e.err << std::endl;
            return 2;
        }
    }
    const int trainPerClass = (int)cli.integer("train-per-class", 0, 2000000000), valPerClass = (int)cli.integer("val-per-class", 0, 2000000000);
    const int testPerClass = (int)cli.integer("test-per-class", 0, 2000000000);
    const int extraSplits = (int)cli.integer("extra-splits", 0, 1000);
    const int ensemble = (int)cli.integer("ensemble", 1, 100);
    const uint64_t extraSeed = (uint64_t)cli.integer("extra-seed", 0, 2000000000);
    if (!parser.check())
    {
        parser.printErrors();
        return 1;
    }
    try
    {
        const String dataDir = parser.has("data") ? parser.get<String>("data") : findDataDir();
        std::vector<String> attributeNames;
        ClassPrototypes classes = readAttributeCsv(dataDir + "/attributes.csv", &attributeNames);
        std::vector<FashionSplit> splits = readSplits(dataDir + "/splits.json", classes.names);
        const String splitArg = parser.get<String>("splits");
        if (splitArg != "all")
        {
            std::vector<String> wanted = splitList(splitArg);
            std::vector<FashionSplit> kept;
            for (const FashionSplit& s : splits)
                if (std::find(wanted.begin(), wanted.end(), s.name) != wanted.end())
                    kept.push_back(s);
            if (kept.size() != wanted.size())
                CV_Error(Error::StsBadArg, "--splits names a split that is not in splits.json");
            splits = kept;
        }
        {
            std::vector<FashionSplit> drawn = drawAdmissibleSplits(splits, classes, extraSplits, extraSeed);
            if ((int)drawn.size() < extraSplits)
                std::cerr << "zsl_evaluate: only " << drawn.size() << " admissible further splits exist" << std::endl;
            splits.insert(splits.end(), drawn.begin(), drawn.end());
        }
        const String featureLayer = parser.get<String>("feature-layer");
        std::vector<int> methods;
        const String methodArg = parser.get<String>("methods");
        if (methodArg == "all")
            for (int m = ZeroShotClassifier::ESZSL; m <= ZeroShotClassifier::TF_VAEGAN; m++)
                methods.push_back(m);
        else
            for (const String& name : splitList(methodArg))
                methods.push_back(methodFromName(name));

        std::cerr << "Reading Fashion-MNIST from " << fashionDir << std::endl;
        FashionSet trainSet = loadFashion(fashionDir, true);
        // The test images are read only after every choice of the first split is made (hyper-parameters,
        // calibration), and each split encodes them only after its own choices: no test image can steer one.
        FashionSet testSet;
        bool testLoaded = false;
        auto loadTest = [&]() {
            if (testLoaded)
                return;
            testSet = loadFashion(fashionDir, false);
            testLoaded = true;
            if (testPerClass <= 0)
                return;
            FashionSet kept;
            std::map<int, int> count;
            for (size_t i = 0; i < testSet.labels.size(); i++)
                if (count[testSet.labels[i]]++ < testPerClass)
                {
                    kept.images.push_back(testSet.images[i]);
                    kept.labels.push_back(testSet.labels[i]);
                }
            testSet = kept;
        };

        std::vector<Row> rows;
        std::map<String, double> backboneAcc;
        std::vector<String> unavailable;
        for (const FashionSplit& split : splits)
        {
            std::cout << "\n== " << split.name << ": unseen";
            for (int u : split.unseen)
                std::cout << " '" << classes.names[u] << "'";
            std::cout << std::endl;
            const String modelPath = dataDir + "/backbone_" + split.backbone + ".onnx";
            Ptr<VisualEncoder> encoder = VisualEncoder::create(modelPath, "", fashionPreprocessing(), featureLayer);

            // Seen-class images only for training (index % 10 != 0) and validation (index % 10 == 0).
            std::vector<Mat> trImg, vaImg;
            FeatureSet tr, va;
            std::map<int, int> trCount, vaCount;
            for (size_t i = 0; i < trainSet.labels.size(); i++)
            {
                const int c = trainSet.labels[i];
                if (std::find(split.seen.begin(), split.seen.end(), c) == split.seen.end())
                    continue; // unseen-class images never reach the compatibility function
                if (i % 10 != 0 && trCount[c]++ < trainPerClass)
                {
                    trImg.push_back(trainSet.images[i]);
                    tr.label.push_back(c);
                }
                else if (i % 10 == 0 && vaCount[c]++ < valPerClass)
                {
                    vaImg.push_back(trainSet.images[i]);
                    va.label.push_back(c);
                }
            }
            tr.X = encodeWithProgress(encoder, trImg, "encoding seen train");
            va.X = encodeWithProgress(encoder, vaImg, "encoding seen validation");

            // 1. Every choice on seen classes only (train and validation images of seen classes).
            std::map<int, Selection> selections;
            std::map<int, double> selectSeconds;
            for (int method : methods)
            {
                const auto t0 = std::chrono::steady_clock::now();
                try
                {
                    selections[method] = selectOnSeenClasses(method, tr, va, split.seen, classes);
                }
                catch (const cv::Exception& e)
                {
                    if (e.code != Error::StsNotImplemented)
                        throw;
                    if (std::find(unavailable.begin(), unavailable.end(), methodName(method)) == unavailable.end())
                        unavailable.push_back(methodName(method));
                }
                selectSeconds[method] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            }

            // 2. Only now the test images: final models on all seen training images, tested once.
            loadTest();
            FeatureSet te;
            te.X = encodeWithProgress(encoder, testSet.images, "encoding test");
            te.label = testSet.labels;
            std::vector<Mat> seenTest;
            std::vector<int> seenTestLabels;
            for (size_t i = 0; i < testSet.labels.size(); i++)
                if (std::find(split.seen.begin(), split.seen.end(), testSet.labels[i]) != split.seen.end())
                {
                    seenTest.push_back(testSet.images[i]);
                    seenTestLabels.push_back(testSet.labels[i]);
                }
            // The backbone head knows the seen classes of its own split only (a derived split adds one).
            std::vector<int> headClasses;
            for (int c : split.seen)
                if (std::find(split.backboneUnseen.begin(), split.backboneUnseen.end(), c) == split.backboneUnseen.end())
                    headClasses.push_back(c);
            std::vector<Mat> headTest;
            std::vector<int> headLabels;
            for (size_t i = 0; i < seenTest.size(); i++)
                if (std::find(headClasses.begin(), headClasses.end(), seenTestLabels[i]) != headClasses.end())
                {
                    headTest.push_back(seenTest[i]);
                    headLabels.push_back(seenTestLabels[i]);
                }
            backboneAcc[split.name] = backboneAccuracy(modelPath, headTest, headLabels, headClasses);
            std::cout << format("backbone (%d-d features): supervised per-class top-1 on seen-class test images %.4f\n",
                                encoder->getFeatureDim(), backboneAcc[split.name]);

            std::vector<int> order = split.seen;
            order.insert(order.end(), split.unseen.begin(), split.unseen.end());
            FeatureSet teUnseen = selectRows(te, split.unseen);
            for (int method : methods)
            {
                if (!selections.count(method))
                    continue;
                const auto t0 = std::chrono::steady_clock::now();
                const Selection& sel = selections[method];
                Row row;
                row.split = split.name;
                row.drawn = split.drawn;
                row.method = methodName(method);
                // A final model: every seen training image, the split's unseen classes registered.
                auto trainFinal = [&](const ZeroShotClassifier::Params& params) {
                    Ptr<ZeroShotClassifier> model = ZeroShotClassifier::create(params);
                    model->train(tr.X, indexLabels(tr.label, split.seen), classes.subset(split.seen));
                    model->setUnseenClasses(classes.subset(split.unseen));
                    return model;
                };
                Ptr<ZeroShotClassifier> zsl = trainFinal(sel.params);
                Mat pred, sc;
                zsl->setMode(ZeroShotClassifier::MODE_ZSL);
                zsl->predict(teUnseen.X, pred, sc, 1);
                row.zsl = perClassAccuracy(pred, indexLabels(teUnseen.label, order));
                const Mat truth = indexLabels(te.label, order);
                const int numSeen = (int)split.seen.size();
                Mat scores, valScores;
                zsl->computeScores(te.X, scores);
                zsl->computeScores(va.X, valScores); // seen-class validation images only
                for (int k = 1; k < ensemble; k++)
                {
                    ZeroShotClassifier::Params p = sel.params;
                    p.seed += (uint64)k;
                    Ptr<ZeroShotClassifier> member = trainFinal(p);
                    Mat s, v;
                    member->computeScores(te.X, s);
                    member->computeScores(va.X, v);
                    {
                        const GzslAccuracy m = gzslFromScores(s, truth, numSeen, sel.calibration);
                        std::cout << format("  ensemble member %d (seed %llu): calibrated H %.4f (s %.4f u %.4f)\n", k,
                                            (unsigned long long)p.seed, m.harmonic, m.seen, m.unseen);
                    }
                    scores += s;
                    valScores += v;
                }
                if (ensemble > 1)
                {
                    scores /= ensemble;
                    valScores /= ensemble;
                    // ZSL among the unseen classes from the averaged scores
                    std::vector<int> zslPred, zslTruth;
                    for (int r = 0; r < scores.rows; r++)
                    {
                        const int t = truth.at<int>(r);
                        if (t < numSeen)
                            continue;
                        Point mx;
                        minMaxLoc(scores.row(r).colRange(numSeen, scores.cols), nullptr, nullptr, nullptr, &mx);
                        zslPred.push_back(mx.x + numSeen);
                        zslTruth.push_back(t);
                    }
                    row.zsl = perClassAccuracy(zslPred, zslTruth);
                }
                row.raw = gzslFromScores(scores, truth, numSeen, 0.0);
                row.calibrated = gzslFromScores(scores, truth, numSeen, sel.calibration);
                row.gamma = sel.calibration;
                row.oracleGamma = selectCalibrationFromScores(scores, truth, numSeen, row.oracle);
                row.flipRate = sel.seenFlipRate;
                row.rateGamma = gammaForSeenFlipRate(seenRowGaps(valScores, indexLabels(va.label, order), numSeen),
                                                     sel.seenFlipRate);
                row.rateCalibrated = gzslFromScores(scores, truth, numSeen, row.rateGamma);
                row.valZsl = sel.validationZsl;
                row.valH = sel.validationH;
                row.params = describeParams(sel.params) + format(" (%d cand., %d ext.%s)", sel.candidates, sel.extensions,
                                                                 sel.stoppedAtBound ? ", at bound" : "");
                row.seconds = selectSeconds[method] + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                std::cout << format("%-10s ZSL %.4f | GZSL s %.4f u %.4f H %.4f | calibrated (gamma %.4g) s %.4f u %.4f H %.4f | "
                                    "rate-matched (rate %.4f, gamma %.4g) s %.4f u %.4f H %.4f | %s (%.1f s) | "
                                    "test-optimal gamma %.4g H %.4f (diagnostic)\n",
                                    row.method.c_str(), row.zsl, row.raw.seen, row.raw.unseen, row.raw.harmonic, row.gamma,
                                    row.calibrated.seen, row.calibrated.unseen, row.calibrated.harmonic, row.flipRate, row.rateGamma,
                                    row.rateCalibrated.seen, row.rateCalibrated.unseen, row.rateCalibrated.harmonic,
                                    row.params.c_str(), row.seconds, row.oracleGamma, row.oracle.harmonic);
                rows.push_back(row);
            }
        }

        // Table: per split and mean over splits.
        std::ostringstream md;
        // "rate-matched": Selection::seenFlipRate; the last two columns are the test-optimal calibration
        // (diagnostic, see Row::oracle).
        md << "| split | method | ZSL top-1 (unseen) | GZSL s | GZSL u | GZSL H | gamma | cal. s | cal. u | cal. H | "
              "flip rate | rate gamma | rate s | rate u | rate H | params | test-optimal gamma | its H |\n";
        md << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
        for (const Row& r : rows)
            md << format("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3g | %.3f | %.3f | %.3f | %.3f | %.3g | %.3f | %.3f | %.3f | %s | %.3g | %.3f |\n",
                         r.split.c_str(), r.method.c_str(), r.zsl, r.raw.seen, r.raw.unseen, r.raw.harmonic, r.gamma,
                         r.calibrated.seen, r.calibrated.unseen, r.calibrated.harmonic, r.flipRate, r.rateGamma,
                         r.rateCalibrated.seen, r.rateCalibrated.unseen, r.rateCalibrated.harmonic, r.params.c_str(),
                         r.oracleGamma, r.oracle.harmonic);
        for (int group = 0; group < 2; group++)
            for (int method : methods)
            {
                const String name = methodName(method);
                Row mean;
                int n = 0;
                for (const Row& r : rows)
                    if (r.method == name && (int)r.drawn == group)
                    {
                        mean.zsl += r.zsl;
                        mean.raw.seen += r.raw.seen; mean.raw.unseen += r.raw.unseen; mean.raw.harmonic += r.raw.harmonic;
                        mean.calibrated.seen += r.calibrated.seen; mean.calibrated.unseen += r.calibrated.unseen;
                        mean.calibrated.harmonic += r.calibrated.harmonic;
                        mean.oracle.harmonic += r.oracle.harmonic;
                        mean.rateCalibrated.seen += r.rateCalibrated.seen; mean.rateCalibrated.unseen += r.rateCalibrated.unseen;
                        mean.rateCalibrated.harmonic += r.rateCalibrated.harmonic;
                        n++;
                    }
                if (n == 0)
                    continue;
                md << format("| **mean %s** | %s | %.3f | %.3f | %.3f | %.3f | | %.3f | %.3f | %.3f | | | %.3f | %.3f | %.3f | %d splits | | %.3f |\n",
                             group ? "drawn" : "splits.json", name.c_str(), mean.zsl / n, mean.raw.seen / n, mean.raw.unseen / n,
                             mean.raw.harmonic / n, mean.calibrated.seen / n, mean.calibrated.unseen / n,
                             mean.calibrated.harmonic / n, mean.rateCalibrated.seen / n, mean.rateCalibrated.unseen / n,
                             mean.rateCalibrated.harmonic / n, n, mean.oracle.harmonic / n);
            }
        md << "\nBackbone supervised per-class top-1 on seen-class test images:";
        double meanAcc = 0;
        for (const auto& kv : backboneAcc)
        {
            md << format(" %s %.3f;", kv.first.c_str(), kv.second);
            meanAcc += kv.second / backboneAcc.size();
        }
        md << format(" mean %.3f\n", meanAcc);
        if (!unavailable.empty())
        {
            md << "\nNot in this build:";
            for (const String& u : unavailable)
                md << " " << u;
            md << "\n";
        }
        std::cout << "\n" << md.str();
        if (parser.has("markdown"))
        {
            zsl_samples::checkOutput("--markdown", parser.get<String>("markdown"), {".md", ".markdown", ".txt"}, {});
            zsl::writeFileAtomically(parser.get<String>("markdown"), md.str());
        }
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "zsl_evaluate: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
