// This file is part of the opencv_zsl module (cv::zsl).
// ImageNet-21K zero-shot labelling and the DeViSE / ConSE evaluation protocol with the 1,000-class ImageNet
// classifier a user already has (e.g. torchvision's resnet18(weights=IMAGENET1K_V1) exported to ONNX).
//
// Labelling: top-k of the ImageNet-21K synsets for every image, with names and the hypernym path:
//   ./build/zsl_imagenet --model=resnet18_imagenet.onnx --vectors=GoogleNews-vectors-negative300.bin photos/
// Evaluation: a folder tree of images named by wnid (ImageNet layout: <root>/n01440764/*.JPEG) -> flat hit@k
// and hierarchical precision@k on the 2-hop, 3-hop and 21K label sets, each with and without the 1K labels:
//   ./build/zsl_imagenet --model=... --vectors=... --evaluate=imagenet21k_test/ --json
// See doc/imagenet.md.
#include "sample_cli.hpp"
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/zsl.hpp>
#include <opencv2/core/utils/filesystem.hpp>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

using namespace cv;
using namespace cv::zsl;

namespace {

const int kKs[] = {1, 2, 5, 10, 20};
const int kNumKs = 5;

bool isImageFile(const String& path)
{
    static const char* exts[] = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".tif", ".tiff", ".webp", ".JPEG", ".JPG", ".PNG"};
    for (const char* e : exts)
        if (zsl_samples::endsWith(path, e))
            return true;
    return false;
}

std::vector<String> imagesIn(const String& path)
{
    std::vector<String> out;
    if (utils::fs::isDirectory(path))
    {
        std::vector<String> all;
        utils::fs::glob(path, "", all, false, false);
        std::sort(all.begin(), all.end());
        for (const String& f : all)
            if (isImageFile(f))
                out.push_back(f);
    }
    else
        out.push_back(path);
    return out;
}

Mat readImageOrThrow(const String& path)
{
    Mat img = imread(path, IMREAD_COLOR);
    if (img.empty())
        CV_Error(Error::StsError, cv::format("cannot read image '%s'", path.c_str()));
    return img;
}

//! Softmax of every row (logits), unless the rows already are probabilities (>= 0, sums within 1e-3 of 1).
Mat probabilities(const Mat& out)
{
    bool isProb = true;
    for (int i = 0; i < out.rows && isProb; i++)
    {
        double mn, mx;
        minMaxLoc(out.row(i), &mn, &mx);
        isProb = mn >= 0 && std::abs(sum(out.row(i))[0] - 1.0) < 1e-3;
    }
    if (isProb)
        return out;
    Mat p(out.size(), CV_32F);
    for (int i = 0; i < out.rows; i++)
    {
        double mx;
        minMaxLoc(out.row(i), nullptr, &mx);
        Mat e;
        exp(out.row(i) - mx, e);
        p.row(i) = e / sum(e)[0];
    }
    return p;
}

String pathString(const Ptr<ClassHierarchy>& wn, int node)
{
    String s;
    for (int v : wn->pathToRoot(node))
        s += (s.empty() ? "" : " < ") + wn->getNames(v)[0];
    return s;
}

struct LabelSet
{
    String name;
    std::vector<String> ids; // test labels (training labels excluded)
};

String jsonNumber(double v)
{
    return cv::format("%.6f", v);
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{help h usage ? |      | print this help }"
        "{@inputs        |      | images or folders of images to label (not with --evaluate) }"
        "{model          |      | 1,000-class ImageNet classifier read by cv::dnn (ONNX, Caffe, ...), logits or softmax output: ConSE }"
        "{devise         |      | a ZeroShotClassifier (zsl_train --method=DEVISE, with its backbone) trained on 1K-class images against synset prototypes of --vectors: DeViSE }"
        "{config         |      | network config file (.prototxt, .cfg) when the model needs one }"
        "{preprocessing  | torchvision | EncoderPreprocessing preset of the model (torchvision, caffe, ...) }"
        "{output-layer   |      | layer whose output is the 1,000 class scores (default: the network's last layer) }"
        "{head-order     | sorted | column order of the head: sorted (torchvision, Caffe: ascending wnid) or list (the labels file order) }"
        "{wordnet        | /usr/share/wordnet/data.noun | WordNet 3.0 data.noun }"
        "{labels         | /usr/share/darknet/data/imagenet.labels.list | ImageNet-21K wnids, the training labels first }"
        "{train-count    | 1000 | number of training labels at the head of --labels }"
        "{vectors        |      | word vectors (word2vec .bin, fastText .vec, GloVe .txt) for the synset prototypes }"
        "{case-fold      | true | fold case of the word vectors and the lemmas }"
        "{gloss-weight   | 0    | weight of the WordNet gloss in the synset prototypes (0: lemmas only) }"
        "{conse-t        | 10   | ConSE T for labelling (the evaluation reports T = 1, 10, 1000) }"
        "{candidates     | 21k  | labelling candidates: 21k (every covered synset), 2hop, 3hop or 21k-minus-1k }"
        "{top k          | 5    | labels per image }"
        "{evaluate       |      | folder of <wnid>/ image folders: print the ImageNet zero-shot table }"
        "{max-per-class  | 0    | evaluate at most this many images per class (0: all) }"
        "{json           |      | print JSON instead of text }";
    zsl_samples::Cli cli(argc, argv, keys, "ImageNet-21K zero-shot labelling and evaluation (ConSE) with a 1K ImageNet classifier", true);
    const CommandLineParser& parser = cli.parser;
    const int topArg = (int)cli.integer("top", 1, 100000);
    const int trainCount = (int)cli.integer("train-count", 1, 1000000);
    const int conseT = (int)cli.integer("conse-t", 1, bounds::kMaxConseTopT);
    const int maxPerClass = (int)cli.integer("max-per-class", 0, 100000000);
    const double glossWeight = cli.real("gloss-weight", 0, 1e6);
    const bool caseFold = cli.flag("case-fold");
    const bool json = parser.has("json");
    try
    {
        const String headOrder = parser.get<String>("head-order"), candidatesArg = parser.get<String>("candidates");
        if (headOrder != "sorted" && headOrder != "list")
            CV_Error(Error::StsBadArg, "--head-order must be sorted or list");
        if (candidatesArg != "21k" && candidatesArg != "2hop" && candidatesArg != "3hop" && candidatesArg != "21k-minus-1k")
            CV_Error(Error::StsBadArg, "--candidates must be 21k, 2hop, 3hop or 21k-minus-1k");
        const bool useConse = parser.has("model"), useDevise = parser.has("devise");
        if (!useConse && !useDevise)
            CV_Error(Error::StsBadArg, "--model (a 1,000-class ImageNet classifier, ConSE) or --devise (a DeViSE model) is required");
        if (!parser.has("vectors"))
            CV_Error(Error::StsBadArg, "--vectors is required (word vectors for the synset prototypes)");
        const bool evaluate = parser.has("evaluate");
        if (evaluate == !cli.positional.empty())
            CV_Error(Error::StsBadArg, evaluate ? "give either --evaluate or images, not both" : "no images given (or --evaluate)");

        // The hierarchy, the label lists and the label sets.
        const int64 t0 = getTickCount();
        Ptr<ClassHierarchy> wn = ClassHierarchy::loadWordNet(parser.get<String>("wordnet"));
        const double wordnetSeconds = (getTickCount() - t0) / getTickFrequency();
        const std::vector<String> all = readClassIdList(parser.get<String>("labels"));
        if ((int)all.size() <= trainCount)
            CV_Error(Error::StsBadArg, cv::format("--labels holds %d ids, not more than --train-count=%d", (int)all.size(), trainCount));
        wn->findAll(all, parser.get<String>("labels"));
        std::vector<String> train(all.begin(), all.begin() + trainCount);
        std::vector<String> headIds = train;
        if (headOrder == "sorted")
            std::sort(headIds.begin(), headIds.end());
        const std::vector<LabelSet> sets = {{"2-hop", hopLabelSet(wn, train, all, 2)},
                                            {"3-hop", hopLabelSet(wn, train, all, 3)},
                                            {"21K", labelSetDifference(all, train)}};

        // Synset prototypes of the whole universe; uncovered synsets cannot be candidates.
        WordVectorsLoadOptions lo;
        lo.caseFold = caseFold;
        Ptr<WordVectors> wv = WordVectors::load(parser.get<String>("vectors"), lo);
        SynsetEmbeddingOptions so;
        so.glossWeight = glossWeight;
        std::vector<uchar> covered;
        const ClassPrototypes protos = synsetPrototypes(wv, wn, all, covered, so);
        const int numCovered = (int)std::count(covered.begin(), covered.end(), 1);
        std::map<String, int> row; // wnid -> row of protos
        for (int i = 0; i < (int)all.size(); i++)
            row[all[i]] = i;
        std::vector<int> headRows;
        for (const String& id : headIds)
            headRows.push_back(row[id]);
        const ClassPrototypes headProtos = protos.subset(headRows);
        auto coveredOnly = [&](const std::vector<String>& ids) {
            std::vector<String> out;
            for (const String& id : ids)
                if (covered[row[id]])
                    out.push_back(id);
            return out;
        };

        // ConSE: the VisualEncoder with the class-score layer as its "feature".
        Ptr<VisualEncoder> encoder;
        String outputLayer = parser.get<String>("output-layer");
        if (useConse && outputLayer.empty())
        {
            dnn::Net net = dnn::readNet(parser.get<String>("model"), parser.get<String>("config"));
            const std::vector<String> names = net.getLayerNames();
            if (names.empty())
                CV_Error(Error::StsError, "the network has no layers");
            outputLayer = names.back();
        }
        if (useConse)
        {
            encoder = VisualEncoder::create(parser.get<String>("model"), parser.get<String>("config"),
                                            EncoderPreprocessing::preset(parser.get<String>("preprocessing")), outputLayer);
            encoder->setNormalize(false);
            if (encoder->getFeatureDim() != trainCount)
                CV_Error(Error::StsBadSize, cv::format("layer '%s' gives %d scores per image, --train-count is %d",
                                                       outputLayer.c_str(), encoder->getFeatureDim(), trainCount));
        }
        // DeViSE: a trained visual-semantic map; its embeddings are compared with the same synset prototypes.
        Ptr<ZeroShotClassifier> devise;
        if (useDevise)
        {
            devise = ZeroShotClassifier::load(parser.get<String>("devise"));
            if (!devise->getEncoder())
                CV_Error(Error::StsBadArg, "--devise: the model has no backbone (train it with --images and --backbone)");
            if (devise->getClasses().dims() != wv->dims())
                CV_Error(Error::StsBadSize, cv::format("--devise embeds into %d-d, the word vectors are %d-d",
                                                       devise->getClasses().dims(), wv->dims()));
        }
        // Embeddings in word-vector space of a batch of images, for each method: ConSE T = ts[i], then DeViSE.
        auto embed = [&](const std::vector<Mat>& images, const std::vector<int>& ts, std::vector<Mat>& out) {
            out.clear();
            if (useConse)
            {
                Mat scores;
                encoder->encode(images, scores);
                const Mat p = probabilities(scores);
                for (int T : ts)
                {
                    Mat e;
                    conseEmbedding(p, headProtos.vectors, e, T);
                    out.push_back(e);
                }
            }
            if (useDevise)
            {
                Mat f, e;
                devise->getEncoder()->encode(images, f);
                devise->predictAttributes(f, e);
                out.push_back(e);
            }
        };

        if (!evaluate)
        {
            std::vector<String> candidates;
            if (candidatesArg == "21k")
                candidates = coveredOnly(all);
            else
                candidates = coveredOnly(sets[candidatesArg == "2hop" ? 0 : candidatesArg == "3hop" ? 1 : 2].ids);
            if (candidates.empty())
                CV_Error(Error::StsError, "no candidate synset has a word vector (see --vectors)");
            const ClassPrototypes cand = protos.select(candidates);
            Ptr<GalleryIndex> index = GalleryIndex::create(cand.vectors, cand.names);
            const int k = std::min(topArg, (int)candidates.size());
            std::vector<String> files;
            for (const String& in : cli.positional)
                for (const String& f : imagesIn(in))
                    files.push_back(f);
            if (files.empty())
                CV_Error(Error::StsBadArg, "no images found in the inputs");
            std::ostringstream js;
            js << "{\"candidates\": " << candidates.size() << ", \"method\": \"" << (useConse ? "ConSE" : "DeViSE")
               << "\", \"conse_t\": " << conseT << ", \"images\": [";
            for (size_t f = 0; f < files.size(); f++)
            {
                Mat idx, sim;
                std::vector<Mat> embs;
                embed(std::vector<Mat>(1, readImageOrThrow(files[f])), std::vector<int>(1, conseT), embs);
                index->search(embs[0], k, idx, sim); // ConSE when --model is given, else DeViSE
                if (json)
                    js << (f ? ", " : "") << "{\"file\": " << zsl_samples::jsonQuote(files[f]) << ", \"labels\": [";
                else
                    std::cout << files[f] << "\n";
                for (int j = 0; j < k; j++)
                {
                    const String& id = candidates[idx.at<int>(j)];
                    const int node = wn->find(id);
                    const String name = wn->getNames(node)[0], path = pathString(wn, node);
                    if (json)
                        js << (j ? ", " : "") << "{\"wnid\": \"" << id << "\", \"name\": " << zsl_samples::jsonQuote(name)
                           << ", \"score\": " << jsonNumber(sim.at<float>(j)) << ", \"path\": " << zsl_samples::jsonQuote(path) << "}";
                    else
                        std::cout << cv::format("  %2d. %s %-28s %.4f  %s\n", j + 1, id.c_str(), name.c_str(),
                                                sim.at<float>(j), path.c_str());
                }
                if (json)
                    js << "]}";
            }
            if (json)
                std::cout << js.str() << "]}\n";
            return 0;
        }

        // Evaluation: <root>/<wnid>/images.
        const String root = parser.get<String>("evaluate");
        if (!utils::fs::isDirectory(root))
            CV_Error(Error::StsBadArg, cv::format("--evaluate='%s' is not a folder", root.c_str()));
        std::vector<String> entries;
        utils::fs::glob(root, "", entries, false, true);
        std::sort(entries.begin(), entries.end());
        std::vector<String> files, truthIds;
        for (const String& dir : entries)
        {
            if (!utils::fs::isDirectory(dir))
                continue;
            const String wnid = dir.substr(dir.find_last_of('/') + 1);
            if (!row.count(wnid))
                CV_Error(Error::StsBadArg, cv::format("folder '%s': '%s' is not a wnid of --labels", dir.c_str(), wnid.c_str()));
            std::vector<String> imgs = imagesIn(dir);
            if (maxPerClass > 0 && (int)imgs.size() > maxPerClass)
                imgs.resize(maxPerClass);
            for (const String& f : imgs)
            {
                files.push_back(f);
                truthIds.push_back(wnid);
            }
        }
        if (files.empty())
            CV_Error(Error::StsBadArg, cv::format("--evaluate='%s': no <wnid>/ folders with images", root.c_str()));
        const std::vector<int> Ts = {1, 10, 1000};
        std::vector<String> methods;
        if (useConse)
            for (int T : Ts)
                methods.push_back(cv::format("ConSE%d", T));
        if (useDevise)
            methods.push_back("DeViSE");
        std::vector<Mat> embeddings(methods.size());
        const size_t batch = 32; // images decoded per forward pass: memory stays flat over a large test set
        for (size_t b = 0; b < files.size(); b += batch)
        {
            std::vector<Mat> images, e;
            for (size_t f = b; f < std::min(files.size(), b + batch); f++)
                images.push_back(readImageOrThrow(files[f]));
            embed(images, Ts, e);
            for (size_t m = 0; m < e.size(); m++)
                embeddings[m].push_back(e[m]);
        }
        std::ostringstream js, txt;
        js << "{\"images\": " << files.size() << ", \"wordnet_load_seconds\": " << jsonNumber(wordnetSeconds)
           << ", \"synsets\": " << all.size() << ", \"covered_synsets\": " << numCovered << ", \"label_sets\": {";
        for (size_t s = 0; s < sets.size(); s++)
            js << (s ? ", " : "") << "\"" << sets[s].name << "\": {\"size\": " << sets[s].ids.size()
               << ", \"covered\": " << coveredOnly(sets[s].ids).size() << "}";
        js << "}, \"results\": [";
        txt << cv::format("%d images; %d of %d synsets have a prototype; label sets:", (int)files.size(), numCovered, (int)all.size());
        for (const LabelSet& s : sets)
            txt << cv::format(" %s %d (%d covered)", s.name.c_str(), (int)s.ids.size(), (int)coveredOnly(s.ids).size());
        txt << "\n\n" << cv::format("%-9s %-10s %6s |", "method", "label set", "images");
        for (int q = 0; q < kNumKs; q++)
            txt << cv::format(" hit@%-2d", kKs[q]);
        txt << " |";
        for (int q = 1; q < kNumKs; q++)
            txt << cv::format("  hp@%-2d", kKs[q]);
        txt << "\n";
        bool firstResult = true;
        for (size_t m = 0; m < methods.size(); m++)
        {
            const Mat& emb = embeddings[m];
            const bool isConse = methods[m] != "DeViSE";
            const int T = isConse ? Ts[m] : 0;
            for (const LabelSet& set : sets)
                for (int plus1k = 0; plus1k < 2; plus1k++)
                {
                    std::vector<String> cand = coveredOnly(set.ids);
                    const std::set<String> testSet(cand.begin(), cand.end());
                    if (plus1k)
                        for (const String& id : coveredOnly(train))
                            cand.push_back(id);
                    // Images of this set's (covered) classes only.
                    std::vector<int> rows;
                    for (int i = 0; i < (int)files.size(); i++)
                        if (testSet.count(truthIds[i]))
                            rows.push_back(i);
                    const String label = set.name + (plus1k ? " +1K" : "");
                    js << (firstResult ? "" : ", ") << "{\"method\": \"" << (isConse ? "ConSE" : "DeViSE") << "\", \"T\": "
                       << (isConse ? std::to_string(T) : std::string("null")) << ", \"label_set\": \""
                       << set.name << "\", \"plus_1k\": " << (plus1k ? "true" : "false") << ", \"candidates\": "
                       << cand.size() << ", \"images\": " << rows.size();
                    firstResult = false;
                    txt << cv::format("%-9s %-10s %6d |", methods[m].c_str(), label.c_str(), (int)rows.size());
                    if (rows.empty() || cand.empty())
                    {
                        js << ", \"flat_hit\": null, \"hierarchical_precision\": null}";
                        txt << "  (no images of this label set)\n";
                        continue;
                    }
                    Mat e;
                    for (int i : rows)
                        e.push_back(emb.row(i));
                    const std::map<String, int> candIndex = [&] {
                        std::map<String, int> m;
                        for (int j = 0; j < (int)cand.size(); j++)
                            m[cand[j]] = j;
                        return m;
                    }();
                    const ClassPrototypes cp = protos.select(cand);
                    Ptr<GalleryIndex> index = GalleryIndex::create(cp.vectors, cp.names);
                    const int K = std::min(20, (int)cand.size());
                    Mat top, sim;
                    index->search(e, K, top, sim);
                    Mat flatTruth((int)rows.size(), 1, CV_32S), nodeTruth((int)rows.size(), 1, CV_32S);
                    for (size_t r = 0; r < rows.size(); r++)
                    {
                        flatTruth.at<int>((int)r) = candIndex.at(truthIds[rows[r]]);
                        nodeTruth.at<int>((int)r) = wn->find(truthIds[rows[r]]);
                    }
                    std::vector<int> ks;
                    for (int q = 0; q < kNumKs; q++)
                        if (kKs[q] <= K)
                            ks.push_back(kKs[q]);
                    const std::vector<double> hp = hierarchicalPrecisionAtK(wn, top, nodeTruth, wn->findAll(cand), ks);
                    js << ", \"flat_hit\": {";
                    for (int q = 0; q < kNumKs; q++)
                    {
                        const String v = kKs[q] <= K ? jsonNumber(hitAtK(top, flatTruth, kKs[q])) : String("null");
                        js << (q ? ", " : "") << "\"" << kKs[q] << "\": " << v;
                        txt << (kKs[q] <= K ? cv::format(" %6.2f", 100 * hitAtK(top, flatTruth, kKs[q])) : String("    n/a"));
                    }
                    js << "}, \"hierarchical_precision\": {";
                    txt << " |";
                    for (int q = 0; q < kNumKs; q++)
                    {
                        const String v = q < (int)hp.size() ? jsonNumber(hp[q]) : String("null");
                        js << (q ? ", " : "") << "\"" << kKs[q] << "\": " << v;
                        if (q > 0)
                            txt << (q < (int)hp.size() ? cv::format(" %6.2f", 100 * hp[q]) : String("    n/a"));
                    }
                    js << "}}";
                    txt << "\n";
                }
        }
        js << "]}";
        if (json)
            std::cout << js.str() << "\n";
        else
            std::cout << txt.str() << "(percent; hp@1 = hit@1; DeViSE appendix definition, see doc/imagenet.md)\n";
    }
    catch (const std::exception& e)
    {
        return cli.fail(e.what());
    }
    return 0;
}
