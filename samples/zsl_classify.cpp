// This file is part of the opencv_zsl module (cv::zsl).
// Classifies images with a saved zero-shot classifier: top-5 labels and the strongest predicted
// attributes, drawn on each image (written next to --out-dir) or printed as JSON.
//
//   ./build/zsl_classify --model=fashion_split1.yml.gz --attributes=data/fashion_mnist/attributes.csv shoe.png
//   ./build/zsl_classify --model=m.yml.gz --prototypes=new_classes.csv --gzsl --json photos/
#include "fashion_mnist.hpp"
#include "sample_cli.hpp"
#include <opencv2/zsl/atomic_file.hpp>
#include <iostream>
#include <map>
#include <sstream>

using namespace cv;
using namespace cv::zsl;
using namespace zslsample;

namespace {

String jsonEscape(const String& s)
{
    const std::string q = zsl_samples::jsonQuote(s);
    return q.substr(1, q.size() - 2);
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{help h usage ? |      | print this help }"
        "{@inputs        |      | images, folders, or feature files (FileStorage .yml/.yml.gz/.xml/.json with 'features', e.g. from zsl_extract) }"
        "{model          |      | classifier saved by zsl_train or ZeroShotClassifier::save (with its backbone) }"
        "{backbone       |      | backbone to use instead of the one stored in the model (e.g. after moving it) }"
        "{prototypes     |      | replace the unseen classes: .csv attribute table, .json, GBU .mat or text matrix }"
        "{attributes     |      | CSV attribute table whose header names the attributes (default: --prototypes when .csv) }"
        "{gzsl           |      | choose among seen and unseen classes (default: unseen only, if any) }"
        "{top k          | 5    | labels per image }"
        "{json           |      | print JSON instead of text }"
        "{out-dir        |      | write <name>_zsl.png annotated images there }";
    zsl_samples::Cli cli(argc, argv, keys, "Label images (or features) with a cv::zsl zero-shot classifier", true);
    const CommandLineParser& parser = cli.parser;
    const std::vector<String>& inputs = cli.positional;
    const int topArg = (int)cli.integer("top", 1, 1000000);
    try
    {
        if (!parser.has("model"))
            CV_Error(Error::StsBadArg, "--model is required (see zsl_train)");
        if (inputs.empty())
            CV_Error(Error::StsBadArg, "no images given");
        // Feature files are classified as they are: no backbone needed unless --backbone is given.
        bool featureInput = true;
        for (const String& in : inputs)
            featureInput = featureInput && isStorageFileName(in) && !utils::fs::isDirectory(in);
        const String backbone = parser.get<String>("backbone");
        Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::load(parser.get<String>("model"), backbone,
                                                               featureInput && backbone.empty() ? ZeroShotClassifier::LOAD_WITHOUT_ENCODER : 0);
        std::vector<String> attributeNames;
        if (parser.has("prototypes"))
            zsl->setUnseenClasses(readAnyPrototypes(parser.get<String>("prototypes"), &attributeNames));
        if (parser.has("attributes"))
            readAttributeCsv(parser.get<String>("attributes"), &attributeNames);
        const ClassPrototypes classes = zsl->getClasses();
        const int numSeen = zsl->getNumSeenClasses();
        const bool gzsl = parser.has("gzsl") || classes.size() == numSeen;
        zsl->setMode(gzsl ? ZeroShotClassifier::MODE_GZSL : ZeroShotClassifier::MODE_ZSL);
        const int candidates = gzsl ? classes.size() : classes.size() - numSeen;
        const int topK = std::min(topArg, std::max(1, candidates));
        const bool json = parser.has("json");
        const String outDir = parser.get<String>("out-dir");

        // Inputs: image files (folders expanded) or rows of feature files.
        std::vector<String> files;
        Mat allFeatures;
        for (const String& in : inputs)
        {
            if (featureInput)
            {
                FileStorage fs;
                zsl_samples::openStorageForReading(fs, in);
                Mat f;
                fs["features"] >> f;
                if (f.empty())
                    CV_Error(Error::StsParseError, format("%s: 'features' is missing or empty", in.c_str()));
                zsl_samples::requireFinite(f, in + ": features");
                std::vector<String> names;
                if (fs["images"].isSeq())
                    fs["images"] >> names;
                for (int r = 0; r < f.rows; r++)
                    files.push_back((int)names.size() == f.rows ? names[r] : format("%s#%d", in.c_str(), r));
                f.convertTo(f, CV_32F);
                if (!allFeatures.empty() && allFeatures.cols != f.cols)
                    CV_Error(Error::StsBadSize, format("%s: %d-d features, the other inputs have %d", in.c_str(), f.cols, allFeatures.cols));
                allFeatures.push_back(f);
                continue;
            }
            std::vector<String> f = listImages(in);
            if (f.empty())
                CV_Error(Error::StsObjectNotFound, format("'%s' holds no image", in.c_str()));
            files.insert(files.end(), f.begin(), f.end());
        }
        if (featureInput && !outDir.empty())
            CV_Error(Error::StsBadArg, "--out-dir draws on images: not available for feature input");

        // Annotated outputs: one per image, never two with the same name, never over an input.
        std::vector<String> outputs;
        if (!outDir.empty())
        {
            std::map<String, String> owner;
            for (const String& file : files)
            {
                String base = file.substr(file.find_last_of("/\\") + 1);
                base = base.substr(0, base.find_last_of('.'));
                const String out = outDir + "/" + base + "_zsl.png";
                if (owner.count(out))
                    CV_Error(Error::StsBadArg, format("--out-dir: '%s' and '%s' would both be written to '%s'; classify them separately",
                                                      owner[out].c_str(), file.c_str(), out.c_str()));
                owner[out] = file;
                zsl_samples::checkOutput("--out-dir", out, {".png"}, files);
                outputs.push_back(out);
            }
            utils::fs::createDirectories(outDir);
        }

        std::ostringstream js; // printed at the end: a failure half-way prints {"error": ...} instead
        if (json)
            js << "[\n";
        for (size_t i = 0; i < files.size(); i++)
        {
            Mat img;
            Mat features, labels, scores, attributes;
            if (featureInput)
                features = allFeatures.row((int)i);
            else
            {
                img = readImageOrThrow(files[i]);
                zsl->extractFeatures(img.rows < 32 && img.cols < 32 ? padTo32(img) : img, features);
            }
            zsl->predict(features, labels, scores, topK);
            zsl->predictAttributes(features, attributes);
            std::vector<String> strongest = strongestAttributes(attributes.row(0), attributeNames, 5);
            if (json)
            {
                js << "  {\"file\": \"" << jsonEscape(files[i]) << "\", \"labels\": [";
                for (int k = 0; k < topK; k++)
                    js << (k ? ", " : "") << format("{\"class\": \"%s\", \"score\": %.6g, \"seen\": %s}",
                                                          jsonEscape(classes.names[labels.at<int>(0, k)]).c_str(), scores.at<float>(0, k),
                                                          labels.at<int>(0, k) < numSeen ? "true" : "false");
                js << "], \"attributes\": [";
                for (size_t a = 0; a < strongest.size(); a++)
                    js << (a ? ", " : "") << "\"" << jsonEscape(strongest[a]) << "\"";
                js << "]}" << (i + 1 < files.size() ? "," : "") << "\n";
            }
            else
            {
                std::cout << files[i] << ":\n";
                for (int k = 0; k < topK; k++)
                    std::cout << format("  %d. %-20s %.4f%s\n", k + 1, classes.names[labels.at<int>(0, k)].c_str(), scores.at<float>(0, k),
                                        labels.at<int>(0, k) < numSeen ? " (seen)" : "");
                std::cout << "  attributes:";
                for (const String& a : strongest)
                    std::cout << " " << a;
                std::cout << "\n";
            }
            if (!outDir.empty())
            {
                std::vector<String> lines;
                std::vector<Scalar> colors;
                for (int k = 0; k < topK; k++)
                {
                    lines.push_back(format("%d %s %.2f", k + 1, classes.names[labels.at<int>(0, k)].c_str(), scores.at<float>(0, k)));
                    colors.push_back(k == 0 ? Scalar(80, 220, 80) : Scalar(230, 230, 230));
                }
                for (const String& a : strongest)
                {
                    lines.push_back("+ " + a);
                    colors.push_back(Scalar(220, 200, 120));
                }
                const int side = std::max(160, std::min(480, std::max(img.cols, img.rows)));
                Mat tile = annotateTile(img, side, lines, colors, side >= 320 ? 0.6 : 0.45);
                zsl_samples::writeImageAtomically(outputs[i], tile);
            }
        }
        if (json)
            std::cout << js.str() << "]\n";
    }
    catch (const std::exception& e)
    {
        return cli.fail(e.what());
    }
    return 0;
}
