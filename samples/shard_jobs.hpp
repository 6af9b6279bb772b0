// This file is part of the opencv_zsl samples.
// The per-shard steps of the scale-out tools (doc/scale_out.md), engine-neutral: zsl_shard runs one step
// per process (Slurm job arrays, Spark RDD.pipe, a shell loop), zsl_mpi runs them on every MPI rank.
//
// Shard contract: shard i of N of a list of L items holds the items cv::zsl::shardRange(L, N, i)
// (contiguous, in order); its file is <dir>/shard-<i>-of-<N>.yml.gz, written atomically, and carries
// the job key (a hash of everything its content depends on), its item range, a checksum of its
// content and a completion marker. A shard file whose marker, key, range or checksum do not match is
// partial or stale: it is recomputed, never merged.
#ifndef OPENCV_ZSL_SHARD_JOBS_HPP
#define OPENCV_ZSL_SHARD_JOBS_HPP

#include "fashion_mnist.hpp"
#include "sample_cli.hpp"
#include <opencv2/zsl.hpp>

#include <sys/stat.h>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>

namespace zsl_shards {

using namespace cv;
using namespace cv::zsl;

/** The options of zsl_shard and zsl_mpi (cv::CommandLineParser keys), each used by the jobs named: labelling
    (label, merge-labels), training (train; stats, solve), search (retrieve; search, merge-search). */
inline std::string jobOptions()
{
    return
    "{list           |             | image list, one path per line (labelling) }"
    "{backbone       |             | backbone model (labelling) }"
    "{config         |             | backbone config (labelling) }"
    "{preset         | torchvision | preprocessing: torchvision, caffe or fashion (labelling) }"
    "{layer          |             | feature layer (labelling; default: the last global pooling) }"
    "{classifier     |             | zero-shot model to label the features with (labelling; optional) }"
    "{gzsl           |             | label among seen and unseen classes (labelling) }"
    "{batch          | 16          | images per forward pass (labelling) }"
    "{dir            |             | shard folder (labelling) }"
    "{prototypes     |             | class prototypes (training) }"
    "{method         | ESZSL       | ESZSL or SAE (training) }"
    "{gamma          | 1           | ESZSL visual-side regulariser (training) }"
    "{lambda         | 1           | ESZSL semantic-side regulariser / SAE lambda (training) }"
    "{normalize      |             | L2-normalise feature rows (training) }"
    "{queries        |             | query features file (search) }"
    "{k              | 10          | neighbours per query (search) }"
    "{output o       |             | output file (zsl_mpi: written by rank 0) }";
}

/** "i/N" -> (i, N); throws on anything else. */
inline void parseShard(const std::string& s, int& shard, int& shards)
{
    char slash = 0, extra = 0;
    if (std::sscanf(s.c_str(), "%d%c%d%c", &shard, &slash, &shards, &extra) != 3 || slash != '/' || shards < 1 ||
        shards > 1000000 || shard < 0 || shard >= shards)
        CV_Error(Error::StsBadArg, format("--shard=%s: expected i/N with 0 <= i < N, e.g. --shard=2/8", s.c_str()));
}

//! 64-bit FNV-1a, continued from `h`.
inline uint64 fnv1a(const void* data, size_t n, uint64 h = 1469598103934665603ULL)
{
    const unsigned char* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

inline uint64 fnv1a(const std::string& s, uint64 h) { return fnv1a(s.data(), s.size() + 1, h); } // with the NUL: "a","b" != "ab"

inline std::string hex(uint64 h) { return format("%016llx", (unsigned long long)h); }

inline std::string shardFile(const std::string& dir, int shard, int shards)
{
    return format("%s/shard-%d-of-%d.yml.gz", dir.c_str(), shard, shards);
}

/** Non-empty lines of a list file that do not start with '#', in order. */
inline std::vector<String> readList(const std::string& path)
{
    std::ifstream f(path);
    if (!f)
        CV_Error(Error::StsObjectNotFound, format("cannot read the list '%s'", path.c_str()));
    std::vector<String> out;
    for (std::string line; std::getline(f, line);)
    {
        line = zslsample::trim(line);
        if (!line.empty() && line[0] != '#')
            out.push_back(line);
    }
    if (out.empty())
        CV_Error(Error::StsBadArg, format("the list '%s' is empty", path.c_str()));
    return out;
}

// ---------------------------------------------------------------------------------------------
// Labelling / extraction

struct LabelJob
{
    std::string list;       //!< image list (one path per line)
    std::string backbone, config, preset = "torchvision", layer;
    std::string classifier; //!< optional: a model to label the features with (its unseen classes, or GZSL)
    bool gzsl = false;
    int batch = 16;
    std::string dir;        //!< shard folder

    /** What a shard's content depends on, hashed with the shard's items: the options, and the size and
        modification time of the model files (a model replaced at the same path makes every shard stale). */
    uint64 key(int shard, int shards, const std::vector<String>& items) const
    {
        uint64 h = fnv1a(std::string("zsl-label-v1"), 1469598103934665603ULL);
        for (const std::string& s : {backbone, config, preset, layer, classifier, std::string(gzsl ? "gzsl" : "zsl")})
            h = fnv1a(s, h);
        for (const std::string& f : {backbone, config, classifier})
        {
            struct stat st;
            if (!f.empty() && ::stat(f.c_str(), &st) == 0)
                h = fnv1a(format("%lld:%lld", (long long)st.st_size, (long long)st.st_mtime), h);
        }
        h = fnv1a(format("%d/%d", shard, shards), h);
        for (const String& s : items)
            h = fnv1a(s, h);
        return h;
    }
};

/** The LabelJob of the options both tools share (--list, --backbone, --config, --preset, --layer,
    --classifier, --gzsl, --batch, --dir). */
inline LabelJob labelJobFromCli(const zsl_samples::Cli& cli)
{
    LabelJob job;
    job.list = cli.str("list");
    job.backbone = cli.str("backbone");
    job.config = cli.str("config");
    job.preset = cli.str("preset");
    job.layer = cli.str("layer");
    job.classifier = cli.str("classifier");
    job.gzsl = cli.flag("gzsl");
    job.batch = (int)cli.integer("batch", 1, 65536);
    job.dir = cli.str("dir");
    return job;
}

/** Checksum of a shard's content (features bytes, image paths, labels). */
inline uint64 contentChecksum(const Mat& features, const std::vector<String>& images, const std::vector<String>& labels)
{
    uint64 h = fnv1a(features.ptr(), features.total() * features.elemSize());
    for (const String& s : images)
        h = fnv1a(s, h);
    for (const String& s : labels)
        h = fnv1a(s, h);
    return h;
}

//! Contents of a shard (or merged) label file.
struct LabelledRows
{
    Mat features;
    std::vector<String> images, labels;
};

/** Reads a shard file; returns false (with the reason) unless it is complete for `key` with `count` rows. */
inline bool readCompleteShard(const std::string& path, uint64 key, int count, LabelledRows& out, std::string& why)
{
    try
    {
        FileStorage fs;
        zsl_samples::openStorageForReading(fs, path);
        if ((int)fs["complete"] != 1)
            return why = "no completion marker", false;
        if ((std::string)fs["key"] != hex(key))
            return why = "written for another job (key differs)", false;
        fs["features"] >> out.features;
        fs["images"] >> out.images;
        fs["labels"] >> out.labels;
        if ((int)fs["count"] != count || (int)out.images.size() != count || out.features.rows != count ||
            (!out.labels.empty() && (int)out.labels.size() != count))
            return why = "wrong number of rows", false;
        if ((std::string)fs["checksum"] != hex(contentChecksum(out.features, out.images, out.labels)))
            return why = "checksum mismatch", false;
        return true;
    }
    catch (const std::exception& e)
    {
        why = std::string("unreadable (") + zsl_samples::jsonQuote(e.what()).substr(0, 200) + ")";
        return false;
    }
}

/** Computes shard `shard` of `shards` into its file unless a complete one exists. Returns "skipped",
    "computed" or "recomputed (<why>)"; throws (naming the image) when an image cannot be read. */
inline std::string labelShard(const LabelJob& job, int shard, int shards)
{
    const std::vector<String> all = readList(job.list);
    const Range r = shardRange((int)all.size(), shards, shard);
    const std::vector<String> items(all.begin() + r.start, all.begin() + r.end);
    const uint64 key = job.key(shard, shards, items);
    const std::string path = shardFile(job.dir, shard, shards);
    LabelledRows existing;
    std::string why;
    const bool present = cv::utils::fs::exists(path);
    if (present && readCompleteShard(path, key, (int)items.size(), existing, why))
        return "skipped (complete)";

    Ptr<VisualEncoder> encoder = VisualEncoder::create(job.backbone, job.config, zslsample::preprocessingByName(job.preset), job.layer);
    encoder->setBatchSize(job.batch);
    Ptr<ZeroShotClassifier> zsl;
    if (!job.classifier.empty())
    {
        zsl = ZeroShotClassifier::load(job.classifier, String(), ZeroShotClassifier::LOAD_WITHOUT_ENCODER);
        zsl->setMode(job.gzsl ? ZeroShotClassifier::MODE_GZSL : ZeroShotClassifier::MODE_ZSL);
    }
    LabelledRows rows;
    rows.images = items;
    rows.features.create((int)items.size(), encoder->getFeatureDim(), CV_32F);
    for (size_t start = 0; start < items.size(); start += (size_t)job.batch)
    {
        const size_t end = std::min(items.size(), start + (size_t)job.batch);
        std::vector<Mat> images;
        for (size_t i = start; i < end; i++)
        {
            Mat img = zslsample::readImageOrThrow(items[i]);
            images.push_back(img.rows < 32 && img.cols < 32 ? zslsample::padTo32(img) : img);
        }
        Mat part = rows.features.rowRange((int)start, (int)end);
        encoder->encode(images, part);
    }
    if (zsl && !items.empty())
    {
        Mat labels, scores;
        zsl->predict(rows.features, labels, scores, 1);
        const ClassPrototypes classes = zsl->getClasses();
        for (int i = 0; i < labels.rows; i++)
            rows.labels.push_back(classes.names[labels.at<int>(i)]);
    }
    zsl::writeStorageAtomically(path, [&](FileStorage& fs) {
        fs << "key" << hex(key) << "shard" << shard << "shards" << shards << "first" << r.start << "count" << (int)items.size();
        fs << "images" << rows.images << "features" << rows.features;
        if (!rows.labels.empty())
            fs << "labels" << rows.labels;
        fs << "checksum" << hex(contentChecksum(rows.features, rows.images, rows.labels));
        fs << "complete" << 1; // last: a reader that finds it has read a whole file
    });
    return present ? "recomputed (the old file: " + why + ")" : "computed";
}

/** Concatenates the complete shards 0..N-1 in order into `output` (atomically: all or nothing). */
inline int mergeLabelShards(const LabelJob& job, int shards, const std::string& output)
{
    const std::vector<String> all = readList(job.list);
    LabelledRows merged;
    std::vector<Mat> parts;
    for (int s = 0; s < shards; s++)
    {
        const Range r = shardRange((int)all.size(), shards, s);
        const std::vector<String> items(all.begin() + r.start, all.begin() + r.end);
        LabelledRows rows;
        std::string why;
        if (!readCompleteShard(shardFile(job.dir, s, shards), job.key(s, shards, items), (int)items.size(), rows, why))
            CV_Error(Error::StsError, format("shard %d of %d ('%s') is not complete: %s; rerun that shard", s, shards,
                                             shardFile(job.dir, s, shards).c_str(), why.c_str()));
        if (!rows.features.empty())
            parts.push_back(rows.features);
        merged.images.insert(merged.images.end(), rows.images.begin(), rows.images.end());
        merged.labels.insert(merged.labels.end(), rows.labels.begin(), rows.labels.end());
    }
    vconcat(parts, merged.features);
    zsl::writeStorageAtomically(output, [&](FileStorage& fs) {
        fs << "features" << merged.features << "images" << merged.images;
        if (!merged.labels.empty())
            fs << "labels" << merged.labels;
    });
    return merged.features.rows;
}

// ---------------------------------------------------------------------------------------------
// Closed-form training from feature files

/** Statistics of some feature files (in order) over every class of the prototype table. */
inline Ptr<TrainingStatistics> statisticsOf(const std::vector<String>& files, const ClassPrototypes& all, int featureDim,
                                            bool normalize)
{
    Ptr<TrainingStatistics> stats;
    for (const String& f : files)
    {
        Mat X;
        std::vector<int> rowClass;
        zslsample::readLabelledFeatures(f, all, X, rowClass);
        if (!stats)
            stats = TrainingStatistics::create(featureDim > 0 ? featureDim : X.cols, all.size(), normalize);
        if (X.cols != stats->featureDim())
            CV_Error(Error::StsBadSize, format("%s: %d-d features, the other shards have %d", f.c_str(), X.cols,
                                               stats->featureDim()));
        stats->add(X, Mat(rowClass));
    }
    return stats;
}

/** Closed-form training parameters from --method, --normalize, --gamma, --lambda (as zsl_train). */
inline ZeroShotClassifier::Params closedFormParams(const zsl_samples::Cli& cli)
{
    ZeroShotClassifier::Params params;
    params.method = methodFromName(cli.str("method"));
    if (params.method != ZeroShotClassifier::ESZSL && params.method != ZeroShotClassifier::SAE)
        CV_Error(Error::StsBadArg, "--method: training from sharded statistics is exact for the closed-form methods ESZSL "
                                   "and SAE only");
    params.normalizeFeatures = cli.flag("normalize");
    params.eszslGamma = cli.real("gamma", 0, 1e12);
    params.eszslLambda = cli.real("lambda", 0, 1e12);
    if (params.method == ZeroShotClassifier::SAE)
        params.saeLambda = cli.real("lambda", 0, 1e12);
    return params;
}

/** As zsl_train --features: seen classes are those with samples (prototype order), the others unseen. */
inline Ptr<ZeroShotClassifier> trainFromStatistics(const Ptr<TrainingStatistics>& stats, const ClassPrototypes& all,
                                                   const ZeroShotClassifier::Params& params)
{
    const Mat counts = stats->getClassCounts();
    std::vector<int> seen, unseen;
    for (int c = 0; c < all.size(); c++)
        (counts.at<double>(c) > 0 ? seen : unseen).push_back(c);
    Ptr<ZeroShotClassifier> zsl = stats->selectClasses(seen)->train(params, all.subset(seen));
    if (!unseen.empty())
        zsl->setUnseenClasses(all.subset(unseen));
    return zsl;
}

// ---------------------------------------------------------------------------------------------
// Sharded exact search

//! The finite "features" matrix of an open FileStorage file, as CV_32F.
inline Mat readFeatureMatrix(const FileStorage& fs, const std::string& path)
{
    Mat X;
    fs["features"] >> X;
    if (X.empty())
        CV_Error(Error::StsParseError, format("%s: 'features' is missing or empty", path.c_str()));
    zsl_samples::requireFinite(X, path + ": features");
    X.convertTo(X, CV_32F);
    return X;
}

//! Gallery rows of some feature files ("features", optional "images" names), concatenated in order.
inline void readGallery(const std::vector<String>& files, Mat& features, std::vector<String>& names)
{
    std::vector<Mat> parts;
    names.clear();
    for (const String& f : files)
    {
        FileStorage fs;
        zsl_samples::openStorageForReading(fs, f);
        const Mat X = readFeatureMatrix(fs, f);
        std::vector<String> n;
        fs["images"] >> n;
        if (!n.empty() && (int)n.size() != X.rows)
            CV_Error(Error::StsParseError, format("%s: %d names for %d rows", f.c_str(), (int)n.size(), X.rows));
        for (int i = 0; i < X.rows; i++)
            names.push_back(n.empty() ? format("%s:%d", f.c_str(), i) : n[i]);
        parts.push_back(X);
    }
    if (!parts.empty())
        vconcat(parts, features);
}

inline Mat readQueries(const std::string& path)
{
    FileStorage fs;
    zsl_samples::openStorageForReading(fs, path);
    return readFeatureMatrix(fs, path);
}

//! Top-k of one gallery shard: local row indices, similarities and the names of the hits.
struct ShardHits
{
    int rows = 0; //!< gallery rows of the shard (the next shard's offset is the sum of these)
    Mat indices, similarities;
    std::vector<String> names; //!< Q x k names, row-major
};

inline ShardHits searchShard(const Mat& gallery, const std::vector<String>& names, const Mat& queries, int k)
{
    ShardHits h;
    h.rows = gallery.rows;
    if (gallery.empty())
        return h;
    Ptr<GalleryIndex> index = GalleryIndex::create(gallery);
    index->search(queries, k, h.indices, h.similarities, GalleryIndex::SEARCH_EXACT);
    for (int q = 0; q < h.indices.rows; q++)
        for (int j = 0; j < h.indices.cols; j++)
            h.names.push_back(names[h.indices.at<int>(q, j)]);
    return h;
}

/** Merges the hits of shards 0..N-1 (in order) and writes them as JSON: {"results": [{"query": q,
    "hits": [{"id": global row, "name": ..., "similarity": ...}, ...]}, ...]}. */
inline void writeMergedHits(const std::vector<ShardHits>& shards, int k, const std::string& output)
{
    std::vector<Mat> idx, sim;
    std::vector<int> offsets;
    std::map<int, String> nameOf;
    int offset = 0;
    for (const ShardHits& h : shards)
    {
        idx.push_back(h.indices);
        sim.push_back(h.similarities);
        offsets.push_back(offset);
        for (int q = 0; q < h.indices.rows; q++)
            for (int j = 0; j < h.indices.cols; j++)
                nameOf[offset + h.indices.at<int>(q, j)] = h.names[(size_t)q * h.indices.cols + j];
        offset += h.rows;
    }
    Mat I, S;
    mergeTopK(idx, sim, offsets, k, I, S);
    std::string json = "{\"results\": [";
    for (int q = 0; q < I.rows; q++)
    {
        json += format("%s\n  {\"query\": %d, \"hits\": [", q ? "," : "", q);
        for (int j = 0; j < I.cols; j++)
            json += format("%s{\"id\": %d, \"name\": %s, \"similarity\": %.9g}", j ? ", " : "", I.at<int>(q, j),
                           zsl_samples::jsonQuote(nameOf[I.at<int>(q, j)]).c_str(), S.at<float>(q, j));
        json += "]}";
    }
    json += "\n]}\n";
    zsl::writeFileAtomically(output, json);
}

inline void writeShardHits(const ShardHits& h, int shard, int shards, const std::string& path)
{
    zsl::writeStorageAtomically(path, [&](FileStorage& fs) {
        fs << "shard" << shard << "shards" << shards << "rows" << h.rows;
        fs << "indices" << h.indices << "similarities" << h.similarities << "names" << h.names;
        fs << "complete" << 1;
    });
}

inline ShardHits readShardHits(const std::string& path, int shard, int shards)
{
    FileStorage fs;
    zsl_samples::openStorageForReading(fs, path);
    if ((int)fs["complete"] != 1 || (int)fs["shard"] != shard || (int)fs["shards"] != shards)
        CV_Error(Error::StsParseError, format("%s: not the complete hits of shard %d of %d", path.c_str(), shard, shards));
    ShardHits h;
    h.rows = (int)fs["rows"];
    fs["indices"] >> h.indices;
    fs["similarities"] >> h.similarities;
    fs["names"] >> h.names;
    if (h.names.size() != h.indices.total())
        CV_Error(Error::StsParseError, format("%s: %zu names for %zu hits", path.c_str(), h.names.size(), h.indices.total()));
    return h;
}

} // namespace zsl_shards

#endif
