// This file is part of the opencv_zsl module (cv::zsl).
// Open-vocabulary retrieval with word vectors:
//   image-words  : image (or feature row) -> top-k words of the whole vocabulary (needs --model)
//   words-images : words ("zebra", "killer+whale") -> top-k gallery images (needs --model)
//   image-images : image (or feature row) -> top-k similar gallery images
//   word-words   : word -> nearest words of the vocabulary (no model needed)
//
// Examples:
//   zsl_retrieve --mode=word-words --vectors=data/wordvec/dict_fasttext_100d_subset.vec --query=zebra,sneaker
//   zsl_retrieve --mode=words-images --vectors=wiki.vec --model=devise.yml --gallery=gallery.yml --query=zebra --json
//   zsl_retrieve --mode=image-images --encoder=resnet18.onnx --images=a.jpg,b.jpg --query-image=q.jpg --save-index=g.zslidx
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include "opencv2/zsl.hpp"
#include "sample_cli.hpp"

#include <iostream>
#include <sstream>

using namespace cv;
using namespace cv::zsl;

static std::vector<String> splitList(const String& s)
{
    std::vector<String> out;
    std::stringstream ss(s);
    String item;
    while (std::getline(ss, item, ','))
        if (!item.empty())
            out.push_back(item);
    return out;
}

static String jsonString(const String& s)
{
    String o = "\"";
    for (char c : s)
    {
        if (c == '"' || c == '\\') { o += '\\'; o += c; }
        else if ((unsigned char)c < 0x20) o += cv::format("\\u%04x", c);
        else o += c;
    }
    return o + "\"";
}

// Features of a FileStorage file: "features" (N x D) and optional "ids" (sequence of strings; else the
// "images" of a zsl_extract output).
static void readFeatures(const String& file, Mat& features, std::vector<String>& ids)
{
    FileStorage fs;
    zsl_samples::openStorageForReading(fs, file);
    fs["features"] >> features;
    if (features.empty())
        CV_Error(Error::StsError, file + ": no 'features' matrix");
    zsl_samples::requireFinite(features, file + ": features"); // names the row of the file, not of a selection
    if (!fs["ids"].empty())
        fs["ids"] >> ids;
    else if (!fs["images"].empty())
        fs["images"] >> ids; // zsl_extract output: the image paths name the rows
    if (!ids.empty() && (int)ids.size() != features.rows)
        CV_Error(Error::StsBadArg, format("%s: %zu ids for %d feature rows", file.c_str(), ids.size(), features.rows));
}

int main(int argc, char** argv)
{
    const String keys =
        "{help h        |             | print this help}"
        "{mode          | word-words  | image-words, words-images, image-images or word-words}"
        "{vectors       |             | word vectors (.vec/.txt/.bin: word2vec, fastText, GloVe)}"
        "{fold          | false       | case-fold words and queries}"
        "{model         |             | trained ZeroShotClassifier (.yml/.xml) whose semantic space is the word vectors}"
        "{encoder       |             | ONNX/Caffe backbone for images (VisualEncoder); else use feature files}"
        "{backbone      |             | backbone to use instead of the one stored in --model (without it, and without --encoder, the model is loaded without encoder)}"
        "{gallery       |             | gallery features (FileStorage: features, ids or images, e.g. zsl_extract --output) }"
        "{images        |             | gallery images, comma-separated (with --encoder)}"
        "{index         |             | load a saved GalleryIndex instead of building one}"
        "{save-index    |             | save the gallery index built here}"
        "{query         |             | words (comma-separated labels) for words-images / word-words}"
        "{query-image   |             | query image (with --encoder)}"
        "{query-features|             | query features (FileStorage: features); --query-row selects a row}"
        "{query-row     | 0           | row of --query-features}"
        "{k             | 5           | results per query}"
        "{approximate   | false       | FLANN search (the index is built if needed)}"
        "{json          | false       | print JSON instead of text}";
    zsl_samples::Cli cli(argc, argv, keys, "zsl_retrieve: open-vocabulary retrieval with word vectors (opencv_zsl)", true);
    const CommandLineParser& parser = cli.parser;
    const String mode = parser.get<String>("mode");
    const int k = (int)cli.integer("k", 1, 1000000);
    cli.integer("query-row", 0, 2000000000);
    const bool json = cli.flag("json");
    const bool approx = cli.flag("approximate");
    try
    {
        Ptr<WordVectors> wv;
        if (!parser.get<String>("vectors").empty())
        {
            WordVectorsLoadOptions o;
            o.caseFold = parser.get<bool>("fold");
            wv = WordVectors::load(parser.get<String>("vectors"), o);
        }
        Ptr<ZeroShotClassifier> model;
        if (!parser.get<String>("model").empty())
        {
            // Retrieval works on features (the model's semantic projection): the stored backbone is loaded only on request.
            const String backbone = parser.get<String>("backbone");
            model = ZeroShotClassifier::load(parser.get<String>("model"), backbone,
                                             backbone.empty() ? ZeroShotClassifier::LOAD_WITHOUT_ENCODER : 0);
        }
        Ptr<VisualEncoder> encoder;
        if (!parser.get<String>("encoder").empty())
            encoder = VisualEncoder::create(parser.get<String>("encoder"));

        // Query features: an image through the encoder, or a row of a feature file.
        auto queryFeatures = [&]() {
            Mat q;
            if (!parser.get<String>("query-image").empty())
            {
                if (!encoder)
                    CV_Error(Error::StsBadArg, "--query-image needs --encoder");
                Mat img = imread(parser.get<String>("query-image"));
                if (img.empty())
                    CV_Error(Error::StsError, "cannot read " + parser.get<String>("query-image"));
                encoder->encode(img, q);
            }
            else
            {
                Mat f;
                std::vector<String> ids;
                readFeatures(parser.get<String>("query-features"), f, ids);
                const int r = parser.get<int>("query-row");
                if (r < 0 || r >= f.rows)
                    CV_Error(Error::StsOutOfRange, cv::format("--query-row %d out of range [0, %d)", r, f.rows));
                q = f.row(r).clone();
            }
            return q;
        };
        // Gallery: a saved index, images through the encoder, or a feature file; semantic for words-images.
        Ptr<GalleryIndex> usedGallery;
        auto gallery = [&](bool semantic) {
            Ptr<GalleryIndex> g;
            if (!parser.get<String>("index").empty())
                g = GalleryIndex::load(parser.get<String>("index"));
            else
            {
                Mat f;
                std::vector<String> ids;
                if (!parser.get<String>("images").empty())
                {
                    if (!encoder)
                        CV_Error(Error::StsBadArg, "--images needs --encoder");
                    ids = splitList(parser.get<String>("images"));
                    std::vector<Mat> imgs;
                    for (const String& p : ids)
                    {
                        imgs.push_back(imread(p));
                        if (imgs.back().empty())
                            CV_Error(Error::StsError, "cannot read " + p);
                    }
                    encoder->encode(imgs, f);
                }
                else
                    readFeatures(parser.get<String>("gallery"), f, ids);
                g = semantic ? createSemanticGallery(model, f, ids) : GalleryIndex::create(f, ids);
            }
            if (approx && !g->hasApproximate())
                g->buildApproximate();
            if (!parser.get<String>("save-index").empty())
                for (const char* in : {"index", "gallery", "query-features", "vectors", "model"})
                    if (zsl_samples::sameFile(parser.get<String>("save-index"), parser.get<String>(in)))
                        CV_Error(Error::StsBadArg, format("--save-index is the --%s input: refusing to overwrite it", in));
            if (!parser.get<String>("save-index").empty())
                g->save(parser.get<String>("save-index"));
            usedGallery = g;
            return g;
        };

        std::vector<String> queries;
        std::vector<std::vector<std::pair<String, float>>> results;
        Mat idx, sim;
        if (mode == "word-words")
        {
            if (!wv)
                CV_Error(Error::StsBadArg, "word-words needs --vectors");
            queries = splitList(parser.get<String>("query"));
            Mat q;
            wv->lookup(queries, q);
            wv->nearestWords(q, k, idx, sim);
        }
        else if (mode == "image-words")
        {
            if (!wv || !model)
                CV_Error(Error::StsBadArg, "image-words needs --vectors and --model");
            queries.push_back("image");
            predictWords(model, queryFeatures(), wv, k, idx, sim);
        }
        else if (mode == "words-images")
        {
            if (!wv || !model)
                CV_Error(Error::StsBadArg, "words-images needs --vectors and --model");
            queries = splitList(parser.get<String>("query"));
            searchByWords(gallery(true), wv, queries, k, idx, sim, OOV_ERROR,
                          approx ? GalleryIndex::SEARCH_APPROXIMATE : GalleryIndex::SEARCH_EXACT);
        }
        else if (mode == "image-images")
        {
            queries.push_back("image");
            Ptr<GalleryIndex> g = gallery(false);
            g->search(queryFeatures(), k, idx, sim, approx ? GalleryIndex::SEARCH_APPROXIMATE : GalleryIndex::SEARCH_EXACT);
        }
        else
            CV_Error(Error::StsBadArg, "unknown --mode " + mode);

        // Names of the hits: vocabulary words or gallery ids.
        const bool toWords = mode == "word-words" || mode == "image-words";
        std::vector<String> galleryIds;
        if (usedGallery)
            galleryIds = usedGallery->getIds();
        for (int i = 0; i < idx.rows; i++)
        {
            std::vector<std::pair<String, float>> r;
            for (int j = 0; j < idx.cols; j++)
            {
                const int h = idx.at<int>(i, j);
                String name = h < 0 ? String("-") : toWords ? wv->getWord(h)
                              : (h < (int)galleryIds.size() ? galleryIds[h] : std::to_string(h));
                r.emplace_back(name, sim.at<float>(i, j));
            }
            results.push_back(r);
        }
        if (json)
        {
            std::cout << "{\"mode\": " << jsonString(mode) << ", \"k\": " << k << ", \"results\": [";
            for (size_t i = 0; i < results.size(); i++)
            {
                std::cout << (i ? ", " : "") << "{\"query\": " << jsonString(queries[i]) << ", \"hits\": [";
                for (size_t j = 0; j < results[i].size(); j++)
                    std::cout << (j ? ", " : "") << "{\"name\": " << jsonString(results[i][j].first)
                              << ", \"similarity\": " << cv::format("%.6f", results[i][j].second) << "}";
                std::cout << "]}";
            }
            std::cout << "]}" << std::endl;
        }
        else
            for (size_t i = 0; i < results.size(); i++)
            {
                std::cout << queries[i] << ":";
                for (const auto& h : results[i])
                    std::cout << cv::format("  %s (%.3f)", h.first.c_str(), h.second);
                std::cout << std::endl;
            }
    }
    catch (const std::exception& e)
    {
        return cli.fail(e.what());
    }
    return 0;
}
