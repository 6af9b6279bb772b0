// This file is part of the opencv_zsl module (cv::zsl).
// Classifies images with a saved zero-shot classifier: top-5 labels and the strongest predicted
// attributes, drawn on each image (written next to --out-dir) or printed as JSON.
//
//   ./build/zsl_classify --model=fashion_split1.yml.gz --attributes=data/fashion_mnist/attributes.csv shoe.png
//   ./build/zsl_classify --model=m.yml.gz --prototypes=new_classes.csv --gzsl --json photos/
#include "fashion_mnist.hpp"
#include "sample_cli.hpp"
#include <iostream>

using namespace cv;
using namespace cv::zsl;
using namespace zslsample;

namespace {

String jsonEscape(const String& s)
{
    String out;
    for (unsigned char c : s)
    {
        if (c == '"' || c == '\\')
            out += '\\', out += (char)c;
        else if (c < 0x20)
            out += format("\\u%04x", c);
        else
            out += (char)c;
    }
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{help h usage ? |      | print this help }"
        "{@inputs        |      | images or folders }"
        "{model          |      | classifier saved by zsl_train or ZeroShotClassifier::save (with its backbone) }"
        "{prototypes     |      | replace the unseen classes: .csv attribute table, .json, GBU .mat or text matrix }"
        "{attributes     |      | CSV attribute table whose header names the attributes (default: --prototypes when .csv) }"
        "{gzsl           |      | choose among seen and unseen classes (default: unseen only, if any) }"
        "{top k          | 5    | labels per image }"
        "{json           |      | print JSON instead of text }"
        "{out-dir        |      | write <name>_zsl.png annotated images there }";
    CommandLineParser parser(argc, argv, keys);
    parser.about("Label images with a cv::zsl zero-shot classifier");
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
        if (!parser.has("model"))
            CV_Error(Error::StsBadArg, "--model is required (see zsl_train)");
        if (inputs.empty())
            CV_Error(Error::StsBadArg, "no images given");
        Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::load(parser.get<String>("model"));
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
        const int topK = std::max(1, std::min(parser.get<int>("top"), candidates));
        const bool json = parser.has("json");
        const String outDir = parser.get<String>("out-dir");
        if (!outDir.empty())
            utils::fs::createDirectories(outDir);

        std::vector<String> files;
        for (const String& in : inputs)
        {
            std::vector<String> f = listImages(in);
            files.insert(files.end(), f.begin(), f.end());
        }
        if (json)
            std::cout << "[\n";
        for (size_t i = 0; i < files.size(); i++)
        {
            Mat img = readImageOrThrow(files[i]);
            Mat features, labels, scores, attributes;
            zsl->extractFeatures(img.rows < 32 && img.cols < 32 ? padTo32(img) : img, features);
            zsl->predict(features, labels, scores, topK);
            zsl->predictAttributes(features, attributes);
            std::vector<String> strongest = strongestAttributes(attributes.row(0), attributeNames, 5);
            if (json)
            {
                std::cout << "  {\"file\": \"" << jsonEscape(files[i]) << "\", \"labels\": [";
                for (int k = 0; k < topK; k++)
                    std::cout << (k ? ", " : "") << format("{\"class\": \"%s\", \"score\": %.6g, \"seen\": %s}",
                                                          jsonEscape(classes.names[labels.at<int>(0, k)]).c_str(), scores.at<float>(0, k),
                                                          labels.at<int>(0, k) < numSeen ? "true" : "false");
                std::cout << "], \"attributes\": [";
                for (size_t a = 0; a < strongest.size(); a++)
                    std::cout << (a ? ", " : "") << "\"" << jsonEscape(strongest[a]) << "\"";
                std::cout << "]}" << (i + 1 < files.size() ? "," : "") << "\n";
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
                String base = files[i].substr(files[i].find_last_of("/\\") + 1);
                base = base.substr(0, base.find_last_of('.'));
                const String out = outDir + "/" + base + "_zsl.png";
                if (!imwrite(out, tile))
                    CV_Error(Error::StsError, format("cannot write '%s'", out.c_str()));
            }
        }
        if (json)
            std::cout << "]\n";
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "zsl_classify: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
