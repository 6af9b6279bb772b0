// This file is part of the opencv_zsl module (cv::zsl).
// Trains a zero-shot classifier on seen classes and saves it (cv::FileStorage, .yml.gz / .json / .xml).
//
// Images: one sub-folder per seen class under --images (folder name = class name in the prototype file;
// '/' in a class name is written '_'), encoded by the --backbone through cv::dnn. Prototype classes
// without images become the unseen classes of the saved model.
//   ./build/zsl_train --backbone=resnet18.onnx --preset=torchvision --prototypes=classes.csv \
//                     --images=my_photos/ --out=my_classifier.yml.gz
// Features: a FileStorage file with "features" (N x D) and "labels" (N class names or row indices of
// the prototype file).
//   ./build/zsl_train --features=train_features.yml.gz --prototypes=classes.json --out=model.yml.gz
// Fashion-MNIST: the seen-class training images of a split of data/fashion_mnist/splits.json.
//   ./build/zsl_train --fashion-split=split1 --out=fashion_split1.yml.gz
#include "fashion_mnist.hpp"
#include "sample_cli.hpp"
#include <filesystem>
#include <iostream>

using namespace cv;
using namespace cv::zsl;
using namespace zslsample;

namespace {

String folderName(const String& className)
{
    String f = className;
    std::replace(f.begin(), f.end(), '/', '_');
    return f;
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{help h usage ? |      | print this help }"
        "{prototypes p   |      | class prototypes: .csv attribute table, .json, GBU .mat, text matrix (default with --fashion-split: data/fashion_mnist/attributes.csv) }"
        "{images         |      | folder with one sub-folder of images per seen class }"
        "{features       |      | FileStorage file with 'features' (N x D) and 'labels' (N names or prototype rows) }"
        "{fashion-split  |      | train on the seen classes of this Fashion-MNIST split (data/fashion_mnist/splits.json) }"
        "{fashion        | /usr/share/datasets/fashion-mnist | Fashion-MNIST idx files }"
        "{per-class      | 500  | at most this many training images per class (0: all) }"
        "{backbone       |      | backbone model for --images (.onnx, .caffemodel, .pb, .weights); default with --fashion-split: its shipped backbone }"
        "{config         |      | backbone config file (.prototxt, .pbtxt, .cfg) }"
        "{preset         | torchvision | preprocessing: torchvision, caffe or fashion }"
        "{layer          |      | feature layer (default: the last global pooling) }"
        "{method m       | ESZSL | ESZSL, SAE, DEVISE, ALE, SJE, MLP, CONSE, GENERATIVE, CADA_VAE, F_CLSWGAN, TF_VAEGAN }"
        "{gamma          | 1    | ESZSL visual-side regulariser }"
        "{lambda         | 1    | ESZSL semantic-side regulariser / SAE lambda }"
        "{epochs         | 50   | epochs of iterative methods }"
        "{select         |      | choose hyper-parameters and the GZSL calibration on seen classes (needs >= 6 seen classes) }"
        "{out o          | zsl_model.yml.gz | output model }";
    zsl_samples::Cli cli(argc, argv, keys, "Train a cv::zsl zero-shot classifier on seen classes and save it");
    const CommandLineParser& parser = cli.parser;
    try
    {
        ZeroShotClassifier::Params params;
        params.method = methodFromName(parser.get<String>("method"));
        params.eszslGamma = cli.real("gamma", 0, 1e12);
        params.eszslLambda = cli.real("lambda", 0, 1e12);
        if (params.method == ZeroShotClassifier::SAE)
            params.saeLambda = cli.real("lambda", 0, 1e12);
        params.epochs = (int)cli.integer("epochs", 1, 1000000);
        const int perClass = (int)cli.integer("per-class", 0, 100000000);

        String protoPath = parser.get<String>("prototypes");
        String dataDir;
        if (parser.has("fashion-split"))
        {
            dataDir = findDataDir();
            if (protoPath.empty())
                protoPath = dataDir + "/attributes.csv";
        }
        if (protoPath.empty())
            CV_Error(Error::StsBadArg, "--prototypes is required");
        // The output is checked before the (possibly long) training, and again when writing.
        const String out = parser.get<String>("out");
        std::vector<String> inputs = {protoPath};
        for (const char* k : {"features", "backbone", "config"})
            if (parser.has(k))
                inputs.push_back(parser.get<String>(k));
        const std::vector<std::string> modelExtensions = {".yml", ".yml.gz", ".yaml", ".yaml.gz", ".xml", ".xml.gz", ".json", ".json.gz"};
        zsl_samples::checkOutput("--out", out, modelExtensions, inputs);
        ClassPrototypes all = readAnyPrototypes(protoPath);
        std::cout << "Prototypes: " << all.size() << " classes x " << all.dims() << " dimensions from " << protoPath << "\n";

        Ptr<VisualEncoder> encoder;
        Mat X;
        std::vector<int> rowClass; // prototype row of each training sample
        if (parser.has("fashion-split"))
        {
            const String splitName = parser.get<String>("fashion-split");
            FashionSplit split;
            for (const FashionSplit& s : readSplits(dataDir + "/splits.json", all.names))
                if (s.name == splitName)
                    split = s;
            if (split.name.empty())
                CV_Error(Error::StsBadArg, format("split '%s' is not in splits.json", splitName.c_str()));
            const String backbone = parser.has("backbone") ? parser.get<String>("backbone")
                                                           : dataDir + "/backbone_" + split.name + ".onnx";
            encoder = VisualEncoder::create(backbone, "", fashionPreprocessing());
            FashionSet train = loadFashion(parser.get<String>("fashion"), true);
            std::vector<Mat> imgs;
            std::map<int, int> count;
            for (size_t i = 0; i < train.labels.size(); i++)
            {
                const int c = train.labels[i];
                // Seen classes only; index % 10 == 0 is the validation part the backbone never trained on.
                if (i % 10 == 0 || std::find(split.seen.begin(), split.seen.end(), c) == split.seen.end())
                    continue;
                if (perClass > 0 && count[c]++ >= perClass)
                    continue;
                imgs.push_back(train.images[i]);
                rowClass.push_back(c);
            }
            X = encodeWithProgress(encoder, imgs, "encoding " + split.name);
        }
        else if (parser.has("images"))
        {
            if (!parser.has("backbone"))
                CV_Error(Error::StsBadArg, "--images needs --backbone");
            encoder = VisualEncoder::create(parser.get<String>("backbone"), parser.get<String>("config"),
                                            preprocessingByName(parser.get<String>("preset")), parser.get<String>("layer"));
            const String root = parser.get<String>("images");
            if (!utils::fs::isDirectory(root))
                CV_Error(Error::StsObjectNotFound, format("--images='%s' is not a folder", root.c_str()));
            // Every sub-folder must name a prototype class: a misspelt folder would silently become an unseen class.
            std::vector<String> unmatched;
            for (const auto& entry : std::filesystem::directory_iterator(root))
                if (entry.is_directory())
                {
                    const String name = entry.path().filename().string();
                    bool found = false;
                    for (int c = 0; c < all.size() && !found; c++)
                        found = folderName(all.names[c]) == name;
                    if (!found)
                        unmatched.push_back(name);
                }
            if (!unmatched.empty())
            {
                std::sort(unmatched.begin(), unmatched.end());
                String list;
                for (const String& u : unmatched)
                    list += (list.empty() ? "'" : ", '") + u + "'";
                CV_Error(Error::StsBadArg, format("sub-folders of '%s' that match no class of %s: %s", root.c_str(),
                                                  protoPath.c_str(), list.c_str()));
            }
            std::vector<Mat> parts;
            for (int c = 0; c < all.size(); c++)
            {
                const String dir = root + "/" + folderName(all.names[c]);
                if (!utils::fs::isDirectory(dir))
                    continue;
                std::vector<String> files = listImages(dir);
                if (perClass > 0 && (int)files.size() > perClass)
                    files.resize(perClass);
                std::vector<Mat> imgs;
                for (const String& f : files)
                {
                    Mat img = readImageOrThrow(f);
                    imgs.push_back(img.rows < 32 && img.cols < 32 ? padTo32(img) : img);
                    rowClass.push_back(c);
                }
                Mat f;
                if (!imgs.empty())
                {
                    std::cerr << all.names[c] << ": ";
                    encoder->encode(imgs, f);
                    std::cerr << imgs.size() << " images\n";
                    parts.push_back(f);
                }
            }
            if (parts.empty())
                CV_Error(Error::StsBadArg, format("no class sub-folder of '%s' matches a prototype class name", root.c_str()));
            vconcat(parts, X);
        }
        else if (parser.has("features"))
            readLabelledFeatures(parser.get<String>("features"), all, X, rowClass);
        else
            CV_Error(Error::StsBadArg, "give training data: --images, --features or --fashion-split");

        // Seen classes: those with training samples, in prototype order; the others become unseen.
        std::vector<int> seen, unseen;
        for (int c = 0; c < all.size(); c++)
            (std::find(rowClass.begin(), rowClass.end(), c) != rowClass.end() ? seen : unseen).push_back(c);
        std::cout << "Training " << methodName(params.method) << " on " << X.rows << " samples of " << seen.size()
                  << " seen classes; " << unseen.size() << " unseen classes registered\n";

        double calibration = 0;
        if (parser.has("select"))
        {
            // Hold back every 10th sample of each class as seen-class validation for the selection.
            FeatureSet tr, va;
            std::vector<Mat> trRows, vaRows;
            std::map<int, int> count;
            for (int i = 0; i < X.rows; i++)
            {
                const bool isVal = count[rowClass[i]]++ % 10 == 9;
                (isVal ? vaRows : trRows).push_back(X.row(i));
                (isVal ? va.label : tr.label).push_back(rowClass[i]);
            }
            if (vaRows.empty() || seen.size() < 6)
                CV_Error(Error::StsBadArg, "--select needs >= 6 seen classes and >= 10 samples per class");
            vconcat(trRows, tr.X);
            vconcat(vaRows, va.X);
            tr.X.convertTo(tr.X, CV_32F);
            va.X.convertTo(va.X, CV_32F);
            Selection sel = selectOnSeenClasses(params.method, tr, va, seen, all, 3, std::max<int>(1, (int)seen.size() / 4));
            params = sel.params;
            calibration = sel.calibration;
            std::cout << format("Selected on seen classes: pseudo-unseen ZSL %.3f, pseudo-GZSL H %.3f, calibration %.4g\n",
                                sel.validationZsl, sel.validationH, sel.calibration);
        }

        // Trained from features, the model has no encoder: it then classifies features (zsl_classify on feature files).
        Ptr<ZeroShotClassifier> zsl = encoder ? ZeroShotClassifier::create(params, encoder) : ZeroShotClassifier::create(params);
        zsl->setProgressCallback([](const TrainingProgress& p) {
            Progress bar(format("epoch (loss %.4f)", p.loss), (size_t)p.epochs);
            bar.update((size_t)p.epoch);
        });
        zsl->train(X, indexLabels(rowClass, seen), all.subset(seen));
        if (!unseen.empty())
            zsl->setUnseenClasses(all.subset(unseen));
        zsl->setCalibration(calibration);
        zsl_samples::checkOutput("--out", out, modelExtensions, inputs);
        zsl->save(out);
        std::cout << "Saved " << out << (encoder ? " (with its backbone " + encoder->getModelPath() + ")" : String()) << "\n";
    }
    catch (const std::exception& e)
    {
        return cli.fail(e.what());
    }
    return 0;
}
