// This file is part of the opencv_zsl module (cv::zsl).
// Helpers shared by the samples: Fashion-MNIST idx files, the class attribute table, seen/unseen
// splits, prototype files of any supported format, image folders, a progress line, and the
// seen-class-only selection of hyper-parameters and of the GZSL calibration constant.
// Header-only on purpose: each samples/*.cpp is its own program.
#ifndef OPENCV_ZSL_SAMPLES_FASHION_MNIST_HPP
#define OPENCV_ZSL_SAMPLES_FASHION_MNIST_HPP

#include <opencv2/core.hpp>
#include <opencv2/core/utils/filesystem.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/zsl.hpp>
#include <opencv2/zsl/model_selection.hpp>
#include <zlib.h>
#include "sample_cli.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace zslsample {

using cv::Mat;
using cv::String;

//! Where Debian's dataset-fashion-mnist package puts the idx files.
static const char* const kFashionSystemDir = "/usr/share/datasets/fashion-mnist";
//! Fashion-MNIST pixel statistics (x / 255), the same numbers as tools/train_fashion_backbone.py.
static const double kFashionMean = 0.2860, kFashionStd = 0.3530;

/** Reads a whole (optionally gzip-compressed) file. zlib reads plain files transparently. */
inline std::vector<unsigned char> readMaybeGzip(const String& path)
{
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f)
        CV_Error(cv::Error::StsObjectNotFound, cv::format("cannot open '%s'", path.c_str()));
    std::vector<unsigned char> data;
    unsigned char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof(buf))) > 0)
        data.insert(data.end(), buf, buf + n);
    int err = 0;
    const char* msg = gzerror(f, &err);
    const bool failed = n < 0 || (err != Z_OK && err != Z_STREAM_END);
    const std::string what = failed ? std::string(msg ? msg : "") : std::string();
    gzclose(f);
    if (failed)
        CV_Error(cv::Error::StsParseError, cv::format("'%s' is corrupt or truncated (%s)", path.c_str(), what.c_str()));
    return data;
}

inline uint32_t bigEndian32(const unsigned char* p)
{
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

/** idx3 image file (magic 2051) -> N images rows x cols CV_8UC1; every size checked against the file length. */
inline std::vector<Mat> readIdxImages(const String& path)
{
    std::vector<unsigned char> d = readMaybeGzip(path);
    if (d.size() < 16 || bigEndian32(d.data()) != 2051)
        CV_Error(cv::Error::StsParseError, cv::format("'%s' is not an idx3 image file", path.c_str()));
    const uint64_t n = bigEndian32(&d[4]), r = bigEndian32(&d[8]), c = bigEndian32(&d[12]);
    if (r == 0 || c == 0 || r > 4096 || c > 4096 || n * r * c != d.size() - 16)
        CV_Error(cv::Error::StsParseError, cv::format("'%s': header says %llu images of %llux%llu but the file holds %zu pixel bytes",
                                                      path.c_str(), (unsigned long long)n, (unsigned long long)r,
                                                      (unsigned long long)c, d.size() - 16));
    std::vector<Mat> images((size_t)n);
    for (size_t i = 0; i < n; i++)
        images[i] = Mat((int)r, (int)c, CV_8UC1, &d[16 + i * r * c]).clone();
    return images;
}

/** idx1 label file (magic 2049) -> N labels. */
inline std::vector<int> readIdxLabels(const String& path)
{
    std::vector<unsigned char> d = readMaybeGzip(path);
    if (d.size() < 8 || bigEndian32(d.data()) != 2049)
        CV_Error(cv::Error::StsParseError, cv::format("'%s' is not an idx1 label file", path.c_str()));
    const uint64_t n = bigEndian32(&d[4]);
    if (n != d.size() - 8)
        CV_Error(cv::Error::StsParseError, cv::format("'%s': header says %llu labels, the file holds %zu",
                                                      path.c_str(), (unsigned long long)n, d.size() - 8));
    return std::vector<int>(d.begin() + 8, d.end());
}

/** One part (train or test) of Fashion-MNIST. */
struct FashionSet
{
    std::vector<Mat> images; //!< 28x28 CV_8UC1
    std::vector<int> labels; //!< 0..9, dataset order
};

inline FashionSet loadFashion(const String& dir, bool train)
{
    const String stem = train ? "train" : "t10k";
    auto find = [&](const String& name) {
        for (const String& p : {dir + "/" + name + ".gz", dir + "/" + name})
            if (cv::utils::fs::exists(p))
                return p;
        CV_Error(cv::Error::StsObjectNotFound, cv::format("Fashion-MNIST file %s(.gz) not found in '%s' "
                                                          "(apt-get install dataset-fashion-mnist)", name.c_str(), dir.c_str()));
    };
    FashionSet s;
    s.images = readIdxImages(find(stem + "-images-idx3-ubyte"));
    s.labels = readIdxLabels(find(stem + "-labels-idx1-ubyte"));
    if (s.images.size() != s.labels.size())
        CV_Error(cv::Error::StsBadSize, cv::format("Fashion-MNIST %s: %zu images but %zu labels", stem.c_str(),
                                                   s.images.size(), s.labels.size()));
    return s;
}

/** 28x28 -> 32x32 with a 2-pixel black border: the backbone was trained on padded digits, not resized ones. */
inline Mat padTo32(const Mat& img)
{
    if (img.rows >= 32 && img.cols >= 32)
        return img;
    Mat out;
    const int top = (32 - img.rows) / 2, left = (32 - img.cols) / 2;
    cv::copyMakeBorder(img, out, top, 32 - img.rows - top, left, 32 - img.cols - left, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    return out;
}

/** Preprocessing of the shipped Fashion-MNIST backbones: 32x32 grey (replicated to 3 channels), x/255, mean/std. */
inline cv::zsl::EncoderPreprocessing fashionPreprocessing()
{
    cv::zsl::EncoderPreprocessing p;
    p.inputSize = cv::Size(32, 32);
    p.resizeShorter = 0;
    p.swapRB = false;
    p.scale = 1.0 / 255.0;
    p.mean = cv::Scalar::all(kFashionMean);
    p.std = cv::Scalar::all(kFashionStd);
    return p;
}

/** Preprocessing by name: "fashion" (above), "torchvision" or "caffe". */
inline cv::zsl::EncoderPreprocessing preprocessingByName(const String& name)
{
    if (name == "fashion")
        return fashionPreprocessing();
    return cv::zsl::EncoderPreprocessing::preset(name);
}

inline std::string trim(const std::string& s)
{
    const size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

/** Class attribute table: CSV with a header row "class,attr1,attr2,..." and one row per class
    (names may contain spaces and '/'). Returns the prototypes; attribute names go to `attributeNames`. */
inline cv::zsl::ClassPrototypes readAttributeCsv(const String& path, std::vector<String>* attributeNames = nullptr)
{
    std::ifstream f(path);
    if (!f)
        CV_Error(cv::Error::StsObjectNotFound, cv::format("cannot open attribute table '%s'", path.c_str()));
    std::string line;
    std::vector<String> header, names;
    std::vector<std::vector<float>> rows;
    int lineNo = 0;
    while (std::getline(f, line))
    {
        lineNo++;
        if (trim(line).empty() || trim(line)[0] == '#')
            continue;
        std::vector<std::string> cells;
        std::stringstream ss(line);
        std::string cell;
        while (std::getline(ss, cell, ','))
            cells.push_back(trim(cell));
        if (header.empty())
        {
            header.assign(cells.begin(), cells.end());
            continue;
        }
        if (cells.size() != header.size())
            CV_Error(cv::Error::StsParseError, cv::format("%s:%d: %zu cells, the header has %zu", path.c_str(), lineNo,
                                                          cells.size(), header.size()));
        std::vector<float> v;
        for (size_t j = 1; j < cells.size(); j++)
        {
            char* end = nullptr;
            const float x = std::strtof(cells[j].c_str(), &end);
            if (cells[j].empty() || *end != '\0')
                CV_Error(cv::Error::StsParseError, cv::format("%s:%d: '%s' (column %s) is not a number", path.c_str(), lineNo,
                                                              cells[j].c_str(), header[j].c_str()));
            v.push_back(x);
        }
        names.push_back(cells[0]);
        rows.push_back(v);
    }
    if (rows.empty() || header.size() < 2)
        CV_Error(cv::Error::StsParseError, cv::format("%s: no classes", path.c_str()));
    Mat m((int)rows.size(), (int)header.size() - 1, CV_32F);
    for (int i = 0; i < m.rows; i++)
        std::copy(rows[i].begin(), rows[i].end(), m.ptr<float>(i));
    if (attributeNames)
        attributeNames->assign(header.begin() + 1, header.end());
    return cv::zsl::ClassPrototypes(names, m);
}

/** Prototypes from any supported file: .csv (attribute table), .json, .mat (GBU att_splits), text matrix. */
inline cv::zsl::ClassPrototypes readAnyPrototypes(const String& path, std::vector<String>* attributeNames = nullptr)
{
    auto endsWith = [&](const char* ext) {
        const std::string e(ext);
        return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
    };
    if (attributeNames)
        attributeNames->clear();
    if (endsWith(".csv"))
        return readAttributeCsv(path, attributeNames);
    if (endsWith(".json"))
        return cv::zsl::readPrototypesJSON(path);
    if (endsWith(".mat"))
        return cv::zsl::readPrototypesGBU(path);
    return cv::zsl::readPrototypesText(path);
}

/** A seen/unseen split of the 10 Fashion-MNIST classes (dataset label order). */
struct FashionSplit
{
    String name;
    std::vector<int> seen, unseen;
    String backbone;                 //!< split whose backbone_<name>.onnx encodes the images (itself for splits.json)
    std::vector<int> backboneUnseen; //!< classes that backbone never saw in training (a superset of `unseen`)
    bool drawn = false;              //!< drawn by drawAdmissibleSplits(), not listed in splits.json
};

/** True when every attribute an unseen class has is present in some seen class (no model can learn an
    attribute it never sees; tools/train_fashion_backbone.py refuses such splits the same way). */
inline bool attributesCovered(const cv::zsl::ClassPrototypes& classes, const std::vector<int>& seen, const std::vector<int>& unseen)
{
    for (int u : unseen)
        for (int j = 0; j < classes.vectors.cols; j++)
        {
            if (classes.vectors.at<float>(u, j) <= 0)
                continue;
            bool present = false;
            for (int c : seen)
                present = present || classes.vectors.at<float>(c, j) != 0;
            if (!present)
                return false;
        }
    return true;
}

/** Further admissible splits, drawn with `seed`: the unseen classes of a derived split are a proper subset
    (all but one) of a published split's unseen classes, and the class left out joins the seen ones. The
    published split's backbone encodes the images, so no derived split's unseen class was ever seen by its
    backbone (admissible: no leak), and the attribute coverage of attributesCovered() holds. Candidates
    are enumerated in a fixed order and shuffled with cv::RNG(seed); the first `count` are returned
    (fewer when fewer exist). */
inline std::vector<FashionSplit> drawAdmissibleSplits(const std::vector<FashionSplit>& published,
                                                      const cv::zsl::ClassPrototypes& classes, int count, uint64_t seed)
{
    std::vector<FashionSplit> candidates;
    for (const FashionSplit& p : published)
    {
        if (p.unseen.size() < 2)
            continue;
        for (size_t k = 0; k < p.unseen.size(); k++)
        {
            FashionSplit d;
            d.backbone = p.backbone;
            d.backboneUnseen = p.backboneUnseen;
            d.drawn = true;
            for (size_t j = 0; j < p.unseen.size(); j++)
                if (j != k)
                    d.unseen.push_back(p.unseen[j]);
            d.seen = p.seen;
            d.seen.push_back(p.unseen[k]);
            std::sort(d.seen.begin(), d.seen.end());
            d.name = p.name + "+" + classes.names[p.unseen[k]]; // the class that became seen
            if (attributesCovered(classes, d.seen, d.unseen))
                candidates.push_back(d);
        }
    }
    cv::RNG rng((uint64)seed);
    for (int i = (int)candidates.size() - 1; i > 0; i--)
        std::swap(candidates[i], candidates[rng.uniform(0, i + 1)]);
    if ((int)candidates.size() > count)
        candidates.resize(std::max(0, count));
    return candidates;
}

/** Reads data/fashion_mnist/splits.json (through cv::FileStorage, which reads JSON). */
inline std::vector<FashionSplit> readSplits(const String& path, const std::vector<String>& classNames)
{
    cv::FileStorage fs(path, cv::FileStorage::READ | cv::FileStorage::FORMAT_JSON);
    if (!fs.isOpened())
        CV_Error(cv::Error::StsObjectNotFound, cv::format("cannot open splits file '%s'", path.c_str()));
    cv::FileNode splits = fs["splits"];
    if (!splits.isSeq() || splits.size() == 0)
        CV_Error(cv::Error::StsParseError, cv::format("%s: 'splits' must be a non-empty list", path.c_str()));
    std::vector<FashionSplit> out;
    for (const cv::FileNode& s : splits)
    {
        FashionSplit sp;
        s["name"] >> sp.name;
        std::vector<String> unseen;
        for (const cv::FileNode& u : s["unseen"])
            unseen.push_back((String)u);
        std::vector<bool> isUnseen(classNames.size(), false);
        for (const String& u : unseen)
        {
            auto it = std::find(classNames.begin(), classNames.end(), u);
            if (it == classNames.end())
                CV_Error(cv::Error::StsParseError, cv::format("%s: split '%s' names unknown class '%s'", path.c_str(),
                                                              sp.name.c_str(), u.c_str()));
            isUnseen[it - classNames.begin()] = true;
        }
        for (int c = 0; c < (int)classNames.size(); c++)
            (isUnseen[c] ? sp.unseen : sp.seen).push_back(c);
        sp.backbone = sp.name;
        sp.backboneUnseen = sp.unseen;
        if (sp.unseen.empty() || sp.seen.size() < 2)
            CV_Error(cv::Error::StsParseError, cv::format("%s: split '%s' needs unseen classes and >= 2 seen classes",
                                                          path.c_str(), sp.name.c_str()));
        out.push_back(sp);
    }
    return out;
}

/** The repository's data/fashion_mnist folder: $ZSL_DATA_DIR, ./data, ../data, or the source tree the sample was built from. */
inline String findDataDir()
{
    std::vector<String> candidates;
    if (const char* env = std::getenv("ZSL_DATA_DIR"))
        candidates.push_back(env);
    candidates.push_back("data/fashion_mnist");
    candidates.push_back("../data/fashion_mnist");
#ifdef ZSL_SOURCE_DIR
    candidates.push_back(String(ZSL_SOURCE_DIR) + "/data/fashion_mnist");
#endif
    for (const String& c : candidates)
        if (cv::utils::fs::exists(c + "/attributes.csv"))
            return c;
    CV_Error(cv::Error::StsObjectNotFound, "data/fashion_mnist not found: run from the repository root or set ZSL_DATA_DIR");
}

/** One line of progress on stderr: "label [#####.....]  45% (450/1000)". */
class Progress
{
public:
    Progress(const String& label, size_t total) : label_(label), total_(std::max<size_t>(total, 1)) { update(0); }
    void update(size_t done)
    {
        const int width = 30, filled = (int)(width * std::min(done, total_) / total_);
        std::fprintf(stderr, "\r%-28s [%s%s] %3d%% (%zu/%zu)", label_.c_str(), std::string(filled, '#').c_str(),
                     std::string(width - filled, '.').c_str(), (int)(100 * std::min(done, total_) / total_), done, total_);
        if (done >= total_)
            std::fputc('\n', stderr);
        std::fflush(stderr);
    }

private:
    String label_;
    size_t total_;
};

/** Encodes images in chunks with a progress line; returns N x D features. */
inline Mat encodeWithProgress(const cv::Ptr<cv::zsl::VisualEncoder>& encoder, const std::vector<Mat>& images,
                              const String& label, size_t chunk = 512)
{
    Progress progress(label, images.size());
    std::vector<Mat> parts;
    for (size_t i = 0; i < images.size(); i += chunk)
    {
        std::vector<Mat> batch;
        for (size_t j = i; j < std::min(images.size(), i + chunk); j++)
            batch.push_back(padTo32(images[j]));
        Mat f;
        encoder->encode(batch, f);
        parts.push_back(f);
        progress.update(std::min(images.size(), i + chunk));
    }
    Mat all;
    cv::vconcat(parts, all);
    return all;
}

/** Image files of a folder (sorted), or the file itself. */
inline std::vector<String> listImages(const String& path)
{
    std::vector<String> out;
    if (cv::utils::fs::isDirectory(path))
    {
        for (const char* pattern : {"*.png", "*.jpg", "*.jpeg", "*.bmp", "*.PNG", "*.JPG", "*.JPEG", "*.tif", "*.tiff", "*.webp"})
        {
            std::vector<String> found;
            cv::utils::fs::glob(path, pattern, found, false);
            out.insert(out.end(), found.begin(), found.end());
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
    }
    else
        out.push_back(path);
    return out;
}

inline Mat readImageOrThrow(const String& path)
{
    Mat img = cv::imread(path, cv::IMREAD_UNCHANGED);
    if (img.empty())
        CV_Error(cv::Error::StsObjectNotFound, cv::format("cannot read image '%s'", path.c_str()));
    if (img.depth() != CV_8U)
    {
        Mat tmp;
        cv::normalize(img, tmp, 0, 255, cv::NORM_MINMAX, CV_8U);
        img = tmp;
    }
    return img;
}

// ---------------------------------------------------------------------------------------------
// Seen-class-only model selection (GBU style): some seen classes play the unseen ones.

/** A labelled feature set: rows of X, labels indexing a list of dataset classes. */
struct FeatureSet
{
    Mat X;                  //!< N x D CV_32F
    std::vector<int> label; //!< dataset class of each row
};

inline FeatureSet selectRows(const FeatureSet& s, const std::vector<int>& classes)
{
    FeatureSet out;
    std::vector<Mat> rows;
    for (int i = 0; i < s.X.rows; i++)
        if (std::find(classes.begin(), classes.end(), s.label[i]) != classes.end())
        {
            rows.push_back(s.X.row(i));
            out.label.push_back(s.label[i]);
        }
    if (!rows.empty())
        cv::vconcat(rows, out.X);
    return out;
}

/** Feature rows and their prototype-table rows from a FileStorage file: "features" (N x D, finite) and
    "labels" (N class names or prototype rows). The --features format of zsl_train and of the scale-out tools. */
inline void readLabelledFeatures(const String& path, const cv::zsl::ClassPrototypes& all, Mat& X, std::vector<int>& rowClass)
{
    cv::FileStorage fs;
    zsl_samples::openStorageForReading(fs, path);
    fs["features"] >> X;
    if (X.empty())
        CV_Error(cv::Error::StsParseError, cv::format("%s: 'features' is missing or empty", path.c_str()));
    zsl_samples::requireFinite(X, path + ": features");
    cv::FileNode labels = fs["labels"];
    if (!labels.isSeq() || (int)labels.size() != X.rows)
        CV_Error(cv::Error::StsParseError, cv::format("%s: 'labels' must be a list of %d names or indices", path.c_str(), X.rows));
    rowClass.clear();
    for (const cv::FileNode& l : labels)
    {
        const int row = l.isString() ? all.indexOf((String)l) : (int)l;
        if (row < 0 || row >= all.size())
            CV_Error(cv::Error::StsParseError, cv::format("%s: label '%s' is not a prototype class", path.c_str(),
                                                          l.isString() ? ((String)l).c_str() : cv::format("%d", (int)l).c_str()));
        rowClass.push_back(row);
    }
}

/** Labels (CV_32S) of rows as indices into the ordered class list `order` (-1 when absent). */
inline Mat indexLabels(const std::vector<int>& label, const std::vector<int>& order)
{
    Mat y((int)label.size(), 1, CV_32S);
    for (size_t i = 0; i < label.size(); i++)
        y.at<int>((int)i) = (int)(std::find(order.begin(), order.end(), label[i]) - order.begin());
    return y;
}

/** GZSL over raw scores (seen columns first) with the calibration constant subtracted from the seen ones. */
inline cv::zsl::GzslAccuracy gzslFromScores(const Mat& scores, const Mat& truth, int numSeen, double gamma)
{
    Mat pred(scores.rows, 1, CV_32S);
    for (int i = 0; i < scores.rows; i++)
    {
        const float* s = scores.ptr<float>(i);
        int best = 0;
        float bestScore = -FLT_MAX;
        for (int c = 0; c < scores.cols; c++)
        {
            const float v = c < numSeen ? float(s[c] - gamma) : s[c];
            if (v > bestScore)
            {
                bestScore = v;
                best = c;
            }
        }
        pred.at<int>(i) = best;
    }
    std::vector<uchar> seenMask(scores.cols, 0);
    std::fill(seenMask.begin(), seenMask.begin() + numSeen, 1);
    return cv::zsl::evaluateGzsl(pred, truth, seenMask);
}

/** Best seen score minus best unseen score of row i (seen columns first): the constant above which the
    row's prediction turns to an unseen class. */
inline double seenUnseenGap(const Mat& scores, int i, int numSeen)
{
    const float* s = scores.ptr<float>(i);
    return double(*std::max_element(s, s + numSeen)) - *std::max_element(s + numSeen, s + scores.cols);
}

/** Candidate calibration constants: H only changes where a sample's best seen and best unseen scores
    swap, so the gaps (best seen - best unseen) of the samples, plus 0, are an exhaustive grid. */
inline std::vector<double> calibrationGrid(const Mat& scores, int numSeen, int maxPoints = 400)
{
    std::vector<double> gaps;
    for (int i = 0; i < scores.rows; i++)
        gaps.push_back(seenUnseenGap(scores, i, numSeen));
    std::sort(gaps.begin(), gaps.end());
    std::vector<double> grid{0.0};
    const size_t step = std::max<size_t>(1, gaps.size() / maxPoints);
    for (size_t i = 0; i < gaps.size(); i += step)
        grid.push_back(gaps[i] + 1e-6); // just above the gap: that sample flips to its unseen class
    return grid;
}

/** Sorted gaps (best seen score - best unseen score) of the rows whose true class is seen (truth <
    numSeen, seen columns first): a calibration constant gamma turns exactly the seen rows with a gap
    below gamma into unseen predictions. */
inline std::vector<double> seenRowGaps(const Mat& scores, const Mat& truth, int numSeen)
{
    std::vector<double> gaps;
    for (int i = 0; i < scores.rows; i++)
        if (truth.at<int>(i) < numSeen)
            gaps.push_back(seenUnseenGap(scores, i, numSeen));
    std::sort(gaps.begin(), gaps.end());
    return gaps;
}

/** The constant that turns the fraction `rate` of seen rows into unseen predictions: just above the
    gap at that rank (0: no seen row flips). */
inline double gammaForSeenFlipRate(const std::vector<double>& sortedGaps, double rate)
{
    CV_Assert(!sortedGaps.empty() && rate >= 0 && rate <= 1);
    const size_t k = (size_t)std::floor(rate * sortedGaps.size());
    if (k == 0)
        return std::min(0.0, sortedGaps.front() - 1e-6);
    return sortedGaps[std::min(k, sortedGaps.size()) - 1] + 1e-6;
}

/** Result of seen-class-only selection. */
struct Selection
{
    cv::zsl::ZeroShotClassifier::Params params;
    double validationZsl = 0;  //!< mean pseudo-unseen ZSL per-class top-1 over the folds
    double validationH = 0;    //!< mean pseudo-GZSL H over the folds at the chosen calibration
    double calibration = 0;    //!< chosen constant, relative to the score scale of a model trained like the folds'
    /** Rate-matched calibration: the fraction of seen validation rows that the best constant of the folds
        turns into unseen predictions (one rate for all folds, best mean H). The final model gets the
        constant that flips the same fraction of its own seen validation rows (gammaForSeenFlipRate()),
        which does not depend on its score scale, unlike `calibration`. */
    double seenFlipRate = 0;
    int candidates = 0;        //!< candidates scored (after the grid's extensions)
    int extensions = 0;        //!< extension rounds of the grid (cv::zsl::HyperParamGrid)
    bool stoppedAtBound = false; //!< the best still sat on an edge when the extension bound was reached
};

/** Initial hyper-parameter grid of a method and its template (small: the figures must run in minutes on
    2 cores). Every numeric axis extends itself while the best sits on its edge (HyperParamGrid):
    closed-form regularisers, SAE's lambda and direction, and the iterative methods' epochs, learning
    rate and (for the networks with hidden layers) hidden width. */
struct MethodGrid
{
    cv::zsl::ZeroShotClassifier::Params base;
    cv::zsl::HyperParamGrid grid;
};

inline MethodGrid parameterGrid(int method)
{
    using cv::zsl::ZeroShotClassifier;
    MethodGrid g;
    g.base.method = method;
    if (method == ZeroShotClassifier::ESZSL)
    {
        g.grid.eszslGamma = {0.1, 1.0, 10.0};
        g.grid.eszslLambda = {0.1, 1.0, 10.0};
    }
    else if (method == ZeroShotClassifier::SAE)
    {
        g.base.normalizeFeatures = true;
        g.grid.saeLambda = {0.05, 0.2, 1.0, 5.0};
        g.grid.saeDirection = {ZeroShotClassifier::SAE_SEMANTIC_SPACE, ZeroShotClassifier::SAE_VISUAL_SPACE};
    }
    else
    {
        g.base.epochs = 30;
        g.base.hiddenSizes = {256};
        g.grid.epochs = {15, 30};
        g.grid.learningRate = {5e-4, 2e-3};
        if (method == ZeroShotClassifier::MLP || method == ZeroShotClassifier::GENERATIVE)
            g.grid.hiddenSize = {128, 256};
        if (method == ZeroShotClassifier::CADA_VAE)
        {
            // The paper's layout scaled to 128-d features and 19 attributes: one width for the four networks.
            g.base.latentDim = 32;
            g.base.batchSize = 50;
            g.base.syntheticPerClass = 400;
            g.base.epochs = 40;
            g.grid.epochs = {20, 40};
            g.grid.learningRate = {1e-3, 3e-3};
            g.grid.hiddenSize = {256};
        }
        if (method == ZeroShotClassifier::F_CLSWGAN || method == ZeroShotClassifier::TF_VAEGAN)
        {
            g.base.latentDim = 19; // the paper's noise size: the prototype dimension (19 attributes)
            g.base.syntheticPerClass = 300;
            g.grid.epochs = {10, 20};
            g.grid.learningRate = {1e-3, 3e-3};
        }
        g.grid.maxExtensions = 3; // each round retrains every fold: bounded tighter than the closed forms
    }
    return g;
}

/** Chooses hyper-parameters (best mean pseudo-unseen ZSL accuracy over class-disjoint folds of the
    training images) and the calibration constant (best mean pseudo-GZSL H on the validation images,
    with `folds` rotations of `holdOut` seen classes playing the unseen ones; one constant for all folds,
    which cv::zsl::selectCalibrationFromScores does for a single split).
    Only `train` (seen classes) and `val` (held-out images of the same seen classes) are read. */
inline Selection selectOnSeenClasses(int method, const FeatureSet& train, const FeatureSet& val,
                                     const std::vector<int>& seen, const cv::zsl::ClassPrototypes& allClasses,
                                     int folds = 3, int holdOut = 2)
{
    using cv::zsl::ZeroShotClassifier;
    struct Fold { std::vector<int> s, u; FeatureSet tr, va; };
    std::vector<Fold> fs;
    for (int f = 0; f < folds; f++)
    {
        Fold fold;
        for (int k = 0; k < (int)seen.size(); k++)
        {
            const bool held = ((k - f * holdOut) % (int)seen.size() + (int)seen.size()) % (int)seen.size() < holdOut;
            (held ? fold.u : fold.s).push_back(seen[k]);
        }
        fold.tr = selectRows(train, fold.s);
        fold.va = val;
        fs.push_back(fold);
    }
    // Hyper-parameters: k class-disjoint folds over the seen training images (cv::zsl model selection).
    Selection best;
    const MethodGrid mg = parameterGrid(method);
    cv::zsl::ModelSelectionResult ms = cv::zsl::selectHyperParamsOnGridKFold(train.X, indexLabels(train.label, seen),
                                                                             allClasses.subset(seen), mg.grid, mg.base, folds);
    best.params = ms.best;
    best.validationZsl = ms.scores[ms.bestIndex];
    best.candidates = (int)ms.candidates.size();
    best.extensions = ms.extensions;
    best.stoppedAtBound = ms.stoppedAtBound;
    // Calibration with the chosen parameters: one score matrix per fold, one shared constant.
    std::vector<Mat> scores, truths;
    std::vector<double> grid;
    for (const Fold& f : fs)
    {
        cv::Ptr<ZeroShotClassifier> m = ZeroShotClassifier::create(best.params);
        m->train(f.tr.X, indexLabels(f.tr.label, f.s), allClasses.subset(f.s));
        m->setUnseenClasses(allClasses.subset(f.u));
        Mat s;
        m->computeScores(f.va.X, s);
        std::vector<int> order = f.s;
        order.insert(order.end(), f.u.begin(), f.u.end());
        scores.push_back(s);
        truths.push_back(indexLabels(f.va.label, order));
        std::vector<double> g = calibrationGrid(s, (int)f.s.size(), 200);
        grid.insert(grid.end(), g.begin(), g.end());
    }
    // Rate-matched: one flip rate of the seen validation rows for all folds, each fold's constant its own.
    std::vector<std::vector<double>> seenGaps;
    for (size_t k = 0; k < fs.size(); k++)
        seenGaps.push_back(seenRowGaps(scores[k], truths[k], (int)fs[k].s.size()));
    double bestRateH = -1;
    for (int step = 0; step <= 400; step++)
    {
        const double rate = step / 400.0;
        double h = 0;
        for (size_t k = 0; k < fs.size(); k++)
            h += gzslFromScores(scores[k], truths[k], (int)fs[k].s.size(), gammaForSeenFlipRate(seenGaps[k], rate)).harmonic
                 / fs.size();
        if (h > bestRateH)
        {
            bestRateH = h;
            best.seenFlipRate = rate;
        }
    }
    best.validationH = -1;
    for (double gamma : grid)
    {
        double h = 0;
        for (size_t k = 0; k < fs.size(); k++)
            h += gzslFromScores(scores[k], truths[k], (int)fs[k].s.size(), gamma).harmonic / fs.size();
        if (h > best.validationH || (h == best.validationH && std::abs(gamma) < std::abs(best.calibration)))
        {
            best.validationH = h;
            best.calibration = gamma;
        }
    }
    return best;
}

/** The k strongest entries of a predicted attribute row, as "name (value)". */
inline std::vector<String> strongestAttributes(const Mat& row, const std::vector<String>& names, int k)
{
    std::vector<int> idx(row.cols);
    std::iota(idx.begin(), idx.end(), 0);
    const float* v = row.ptr<float>();
    std::sort(idx.begin(), idx.end(), [v](int a, int b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
    std::vector<String> out;
    for (int i = 0; i < std::min(k, row.cols); i++)
        out.push_back(idx[i] < (int)names.size() ? names[idx[i]] : cv::format("attr%d", idx[i]));
    return out;
}

/** An image upscaled to `side` x `side` (letterboxed, nearest-neighbour for small images so pixels stay
    visible) with a text panel of `lines` below it; colours per line (BGR). */
inline Mat annotateTile(const Mat& image, int side, const std::vector<String>& lines, const std::vector<cv::Scalar>& colors,
                        double fontScale = 0.4)
{
    Mat bgr;
    if (image.channels() == 1)
        cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
    else if (image.channels() == 4)
        cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
    else
        bgr = image;
    const double f = std::min(double(side) / bgr.cols, double(side) / bgr.rows);
    Mat scaled;
    cv::resize(bgr, scaled, cv::Size(std::max(1, cvRound(bgr.cols * f)), std::max(1, cvRound(bgr.rows * f))), 0, 0,
               f >= 2 ? cv::INTER_NEAREST : cv::INTER_AREA);
    const int lineH = cvRound(30 * fontScale) + 2;
    Mat tile(side + lineH * (int)lines.size() + 6, side, CV_8UC3, cv::Scalar(32, 32, 32));
    scaled.copyTo(tile(cv::Rect((side - scaled.cols) / 2, (side - scaled.rows) / 2, scaled.cols, scaled.rows)));
    for (size_t i = 0; i < lines.size(); i++)
    {
        const cv::Scalar c = i < colors.size() ? colors[i] : cv::Scalar(230, 230, 230);
        cv::putText(tile, lines[i], cv::Point(3, side + lineH * (int)(i + 1)), cv::FONT_HERSHEY_SIMPLEX, fontScale, c, 1,
                    cv::LINE_AA);
    }
    return tile;
}

/** Tiles of equal size on a grid of `cols` columns, separated by 4 pixels. */
inline Mat montage(const std::vector<Mat>& tiles, int cols)
{
    CV_Assert(!tiles.empty() && cols > 0);
    const int w = tiles[0].cols, h = tiles[0].rows, gap = 4;
    const int rows = ((int)tiles.size() + cols - 1) / cols;
    cols = std::min(cols, (int)tiles.size());
    Mat out(rows * (h + gap) + gap, cols * (w + gap) + gap, CV_8UC3, cv::Scalar(0, 0, 0));
    for (size_t i = 0; i < tiles.size(); i++)
    {
        CV_Assert(tiles[i].size() == tiles[0].size() && tiles[i].type() == CV_8UC3);
        tiles[i].copyTo(out(cv::Rect(gap + (int)(i % cols) * (w + gap), gap + (int)(i / cols) * (h + gap), w, h)));
    }
    return out;
}

} // namespace zslsample

#endif
