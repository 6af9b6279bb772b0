// This file is part of the opencv_zsl module (cv::zsl).
// Zero-shot learning end to end, on real images, offline.
//
// Without arguments: loads the shipped Fashion-MNIST backbone of split 1 (trained on the 7 seen classes
// only) and the class attribute table, trains the compatibility function on seen-class image features,
// then labels the Fashion-MNIST test images of the 3 classes it never saw (Pullover, Dress, Sandal) from
// their attributes alone. Prints per-class accuracy and the generalised (GZSL) H, and writes
// zsl_demo.png: test images with the predicted label and the strongest predicted attributes.
//
//   ./build/zsl_demo
//   ./build/zsl_demo --method=ESZSL --split=split2
//   ./build/zsl_demo --model=my_classifier.yml.gz --prototypes=new_classes.csv photos/ shoe.png
#include "fashion_mnist.hpp"
#include "sample_cli.hpp"
#include <chrono>
#include <iostream>

using namespace cv;
using namespace cv::zsl;
using namespace zslsample;

namespace {

// Tiles of images with predicted label (green: right, red: wrong, white: unknown truth) and attributes.
Mat drawMontage(const std::vector<Mat>& images, const Mat& labels, const Mat& attributes, const ClassPrototypes& classes,
                const std::vector<String>& attributeNames, const std::vector<int>& truth, int cols)
{
    std::vector<Mat> tiles;
    for (size_t i = 0; i < images.size(); i++)
    {
        const int p = labels.at<int>((int)i, 0);
        std::vector<String> lines{classes.names[p]};
        Scalar color(230, 230, 230);
        if (!truth.empty())
        {
            color = truth[i] == p ? Scalar(80, 220, 80) : Scalar(60, 60, 235);
            if (truth[i] != p)
                lines.push_back("(is " + classes.names[truth[i]] + ")");
        }
        std::vector<Scalar> colors{color, Scalar(60, 60, 235)};
        if (colors.size() > lines.size())
            colors.resize(lines.size());
        for (const String& a : strongestAttributes(attributes.row((int)i), attributeNames, 3))
        {
            lines.push_back("+ " + a);
            colors.push_back(Scalar(220, 200, 120));
        }
        while (lines.size() < 5)
        {
            lines.push_back("");
            colors.push_back(Scalar());
        }
        tiles.push_back(annotateTile(images[i], 140, lines, colors, 0.42));
    }
    return montage(tiles, cols);
}

int runDefault(const CommandLineParser& parser)
{
    const auto t0 = std::chrono::steady_clock::now();
    const String dataDir = parser.has("data") ? parser.get<String>("data") : findDataDir();
    const String splitName = parser.get<String>("split");
    const int trainPerClass = parser.get<int>("train-per-class");
    const int method = methodFromName(parser.get<String>("method"));

    std::vector<String> attributeNames;
    ClassPrototypes classes = readAttributeCsv(dataDir + "/attributes.csv", &attributeNames);
    FashionSplit split;
    for (const FashionSplit& s : readSplits(dataDir + "/splits.json", classes.names))
        if (s.name == splitName)
            split = s;
    if (split.name.empty())
        CV_Error(Error::StsBadArg, format("split '%s' is not in %s/splits.json", splitName.c_str(), dataDir.c_str()));
    std::cout << "Seen classes:  ";
    for (int c : split.seen)
        std::cout << " [" << classes.names[c] << "]";
    std::cout << "\nUnseen classes:";
    for (int c : split.unseen)
        std::cout << " [" << classes.names[c] << "]";
    std::cout << "  (never shown to the backbone nor to the classifier)\n";

    Ptr<VisualEncoder> encoder = VisualEncoder::create(dataDir + "/backbone_" + split.name + ".onnx", "", fashionPreprocessing());
    const String fashionDir = parser.get<String>("fashion");
    FashionSet trainSet = loadFashion(fashionDir, true), testSet = loadFashion(fashionDir, false);

    // Seen-class training and validation images: train indices with i % 10 != 0 / == 0 (as the backbone's).
    FeatureSet tr, va, te;
    std::vector<Mat> trImg, vaImg;
    std::map<int, int> trCount, vaCount;
    for (size_t i = 0; i < trainSet.labels.size(); i++)
    {
        const int c = trainSet.labels[i];
        if (std::find(split.seen.begin(), split.seen.end(), c) == split.seen.end())
            continue;
        if (i % 10 != 0 && trCount[c]++ < trainPerClass)
        {
            trImg.push_back(trainSet.images[i]);
            tr.label.push_back(c);
        }
        else if (i % 10 == 0 && vaCount[c]++ < trainPerClass / 2)
        {
            vaImg.push_back(trainSet.images[i]);
            va.label.push_back(c);
        }
    }
    tr.X = encodeWithProgress(encoder, trImg, "encoding seen train");
    va.X = encodeWithProgress(encoder, vaImg, "encoding seen validation");
    te.X = encodeWithProgress(encoder, testSet.images, "encoding test images");
    te.label = testSet.labels;

    // Hyper-parameters and GZSL calibration from seen classes only (some of them play the unseen ones).
    std::cout << "Choosing " << methodName(method) << " hyper-parameters and calibration on seen classes..." << std::endl;
    Selection sel = selectOnSeenClasses(method, tr, va, split.seen, classes);
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(sel.params, encoder);
    zsl->setProgressCallback([](const TrainingProgress& p) {
        Progress bar("training", (size_t)p.epochs);
        bar.update((size_t)p.epoch);
    });
    zsl->train(tr.X, indexLabels(tr.label, split.seen), classes.subset(split.seen));
    zsl->setUnseenClasses(classes.subset(split.unseen));
    std::vector<int> order = split.seen;
    order.insert(order.end(), split.unseen.begin(), split.unseen.end());

    // ZSL: unseen-class test images, candidates are the unseen classes only.
    FeatureSet teU = selectRows(te, split.unseen);
    Mat truthU = indexLabels(teU.label, order), predU, scoreU;
    zsl->setMode(ZeroShotClassifier::MODE_ZSL);
    zsl->predict(teU.X, predU, scoreU, 1);
    std::vector<double> perClass;
    const double zslAcc = perClassAccuracy(predU, truthU, perClass);
    std::cout << "\nZero-shot accuracy on the " << teU.X.rows << " test images of unseen classes:\n";
    for (int c = (int)split.seen.size(); c < (int)order.size(); c++)
        std::cout << format("  %-12s %.3f\n", classes.names[order[c]].c_str(), perClass[c]);
    std::cout << format("  per-class mean %.3f (chance %.3f)\n", zslAcc, 1.0 / split.unseen.size());

    // GZSL: every test image, every class, calibrated stacking with the seen-class-chosen constant.
    zsl->setMode(ZeroShotClassifier::MODE_GZSL);
    Mat truthAll = indexLabels(te.label, order), predAll, scoreAll;
    std::vector<uchar> seenMask(order.size(), 0);
    std::fill(seenMask.begin(), seenMask.begin() + split.seen.size(), 1);
    zsl->setCalibration(0);
    zsl->predict(te.X, predAll, scoreAll, 1);
    GzslAccuracy raw = evaluateGzsl(predAll, truthAll, seenMask);
    zsl->setCalibration(sel.calibration);
    zsl->predict(te.X, predAll, scoreAll, 1);
    GzslAccuracy cal = evaluateGzsl(predAll, truthAll, seenMask);
    std::cout << format("\nGeneralised ZSL over all 10 classes (%d test images):\n", te.X.rows);
    std::cout << format("  uncalibrated:              seen %.3f  unseen %.3f  H %.3f\n", raw.seen, raw.unseen, raw.harmonic);
    std::cout << format("  calibrated (gamma %.3g):  seen %.3f  unseen %.3f  H %.3f\n", sel.calibration, cal.seen, cal.unseen,
                        cal.harmonic);

    // Montage: the first images of each unseen class, interleaved, labelled in ZSL mode.
    const int perClassShown = parser.get<int>("show");
    std::vector<Mat> shown;
    std::vector<int> shownTruth;
    std::vector<Mat> shownFeatures;
    for (int k = 0; k < perClassShown; k++)
        for (int c : split.unseen)
        {
            int seenSoFar = 0;
            for (size_t i = 0; i < testSet.labels.size(); i++)
                if (testSet.labels[i] == c && seenSoFar++ == k)
                {
                    shown.push_back(testSet.images[i]);
                    shownTruth.push_back((int)(std::find(order.begin(), order.end(), c) - order.begin()));
                    shownFeatures.push_back(te.X.row((int)i));
                    break;
                }
        }
    Mat feats, labels, scores, attributes;
    vconcat(shownFeatures, feats);
    zsl->setMode(ZeroShotClassifier::MODE_ZSL);
    zsl->predict(feats, labels, scores, 1);
    zsl->predictAttributes(feats, attributes);
    const String out = parser.get<String>("output");
    Mat m = drawMontage(shown, labels, attributes, zsl->getClasses(), attributeNames, shownTruth, (int)split.unseen.size() * 2);
    zsl_samples::writeImageAtomically(out, m);
    std::cout << format("\nWrote %s (%dx%d): %d unseen-class test images with predicted label and attributes.\n", out.c_str(),
                        m.cols, m.rows, (int)shown.size());
    std::cout << format("Total time %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return 0;
}

// With arguments: a saved classifier (with its encoder), optional new prototypes, images or folders.
int runOnFiles(const CommandLineParser& parser, const std::vector<String>& inputs)
{
    if (!parser.has("model"))
        CV_Error(Error::StsBadArg, "images given but no --model (a classifier saved by zsl_train, with its encoder)");
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::load(parser.get<String>("model"));
    std::vector<String> attributeNames;
    if (parser.has("prototypes"))
        zsl->setUnseenClasses(readAnyPrototypes(parser.get<String>("prototypes"), &attributeNames));
    if (parser.has("attributes"))
        readAttributeCsv(parser.get<String>("attributes"), &attributeNames);
    zsl->setMode(parser.has("gzsl") || zsl->getClasses().size() == zsl->getNumSeenClasses() ? ZeroShotClassifier::MODE_GZSL
                                                                                             : ZeroShotClassifier::MODE_ZSL);
    std::vector<String> files;
    for (const String& in : inputs)
    {
        std::vector<String> f = listImages(in);
        files.insert(files.end(), f.begin(), f.end());
    }
    if (files.empty())
        CV_Error(Error::StsBadArg, "no images found in the given files/folders");
    std::vector<Mat> images;
    Progress bar("reading and labelling", files.size());
    Mat labels, scores, attributes;
    std::vector<Mat> labelParts, attrParts;
    for (size_t i = 0; i < files.size(); i++)
    {
        Mat img = readImageOrThrow(files[i]);
        images.push_back(img);
        Mat f, l, s, a;
        zsl->extractFeatures(img.rows < 32 && img.cols < 32 ? padTo32(img) : img, f);
        zsl->predict(f, l, s, 1);
        zsl->predictAttributes(f, a);
        labelParts.push_back(l);
        attrParts.push_back(a);
        bar.update(i + 1);
    }
    vconcat(labelParts, labels);
    vconcat(attrParts, attributes);
    ClassPrototypes classes = zsl->getClasses();
    for (size_t i = 0; i < files.size(); i++)
        std::cout << files[i] << ": " << classes.names[labels.at<int>((int)i, 0)] << "\n";
    const String out = parser.get<String>("output");
    Mat m = drawMontage(images, labels, attributes, classes, attributeNames, {}, 6);
    zsl_samples::writeImageAtomically(out, m);
    std::cout << "Wrote " << out << "\n";
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{help h usage ? |      | print this help }"
        "{@inputs        |      | images or folders to label (needs --model); none: the Fashion-MNIST demo }"
        "{model          |      | classifier saved by zsl_train (it names its backbone) }"
        "{prototypes     |      | unseen classes for --model: .csv attribute table, .json, GBU .mat or text matrix }"
        "{attributes     |      | CSV whose header names the attributes (for the montage) }"
        "{gzsl           |      | with --model: choose among seen and unseen classes }"
        "{data           |      | folder with attributes.csv, splits.json, backbone_<split>.onnx (default: data/fashion_mnist) }"
        "{fashion        | /usr/share/datasets/fashion-mnist | Fashion-MNIST idx files }"
        "{split          | split1 | split of splits.json for the demo }"
        "{method         | SAE  | compatibility function (ESZSL, SAE, DEVISE, ALE, SJE, MLP, CONSE, GENERATIVE, CADA_VAE, F_CLSWGAN, TF_VAEGAN) }"
        "{train-per-class| 300  | seen-class training images per class (subsampled to keep the demo under a minute) }"
        "{show           | 8    | images per unseen class in the montage }"
        "{output o       | zsl_demo.png | montage file }";
    zsl_samples::Cli cli(argc, argv, keys, "cv::zsl demo: label images of classes never seen in training, from their attributes");
    const cv::CommandLineParser& parser = cli.parser;
    cli.integer("train-per-class", 1, 1000000);
    cli.integer("show", 0, 1000);
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    const std::vector<String> inputs = zsl_samples::positionalArguments(argc, argv);
    if (!parser.check())
    {
        parser.printErrors();
        return 1;
    }
    try
    {
        return inputs.empty() && !parser.has("model") ? runDefault(parser) : runOnFiles(parser, inputs);
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "zsl_demo: " << e.what() << std::endl;
        return 1;
    }
}
