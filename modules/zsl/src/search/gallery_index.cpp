// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "opencv2/zsl/gallery_index.hpp"
#include "search/cosine_search.hpp"
#include "search/hnsw_graph.hpp"
#include "eigen_bridge.hpp"
#include "io/input_file.hpp"

#include <opencv2/opencv_modules.hpp>
#ifdef HAVE_OPENCV_FLANN
#include <opencv2/flann.hpp>
#endif
#include <zlib.h>

#include <cstdio>
#include <cstring>

namespace cv {
namespace zsl {

namespace {

// File layout (little-endian): Header, ids (u32 length + bytes each), N*D float32 vectors,
// optional ANN section (AnnHeader, its version-2 extension, then for ANN_HNSW from version 3 the
// graph in HnswGraph's checked layout), then the end marker.
const char kMagic[8] = {'Z', 'S', 'L', 'G', 'I', 'D', 'X', '\0'};
const char kEndMagic[8] = {'Z', 'S', 'L', 'G', 'E', 'N', 'D', '\0'};
// Version 2 adds the HNSW parameters to the ANN header, version 3 the HNSW graph itself (version 2
// HNSW files are rebuilt from their parameters); files of every version are still read.
const uint32_t kVersion = 3;
const uint64_t kMaxDims = 1 << 16;
const uint32_t kMaxIdBytes = 1 << 16;

struct Header
{
    char magic[8];
    uint32_t version;
    uint32_t hasAnn;
    uint64_t rows, cols;
    uint64_t idBytes;    // size of the ids block
    uint32_t idsCrc, vectorsCrc;
};

struct AnnHeader
{
    int32_t algorithm, trees, branching, kmeansIterations, checks, seed, pcaDims, rerank;
    uint64_t bytes;
    uint32_t crc, reserved;
};

struct AnnHeaderV2Extension // follows AnnHeader in version 2 files
{
    int32_t hnswM, hnswEfConstruction;
};

uint32_t crcOf(const void* data, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    const Bytef* p = static_cast<const Bytef*>(data);
    while (n > 0)
    {
        const uInt chunk = (uInt)std::min<size_t>(n, 1u << 30);
        c = crc32(c, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

#ifdef HAVE_OPENCV_FLANN
typedef cvflann::L2<float> Distance;
typedef cvflann::Index<Distance> FlannIndex;

cvflann::IndexParams flannParams(const GalleryANNParams& p)
{
    if (p.algorithm == GalleryIndex::ANN_KDTREE)
        return cvflann::KDTreeIndexParams(p.trees);
    return cvflann::KMeansIndexParams(p.branching, p.kmeansIterations, cvflann::FLANN_CENTERS_KMEANSPP);
}
#endif

void checkAnnParams(const GalleryANNParams& p)
{
    if (p.algorithm != GalleryIndex::ANN_KDTREE && p.algorithm != GalleryIndex::ANN_KMEANS && p.algorithm != GalleryIndex::ANN_HNSW)
        CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex: unknown ANN algorithm %d", p.algorithm));
    if (p.trees < 1 || p.trees > 64)
        CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex: trees must be in [1, 64], got %d", p.trees));
    if (p.branching < 2 || p.branching > 1024)
        CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex: branching must be in [2, 1024], got %d", p.branching));
    if (p.kmeansIterations < 1)
        CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex: kmeansIterations must be >= 1, got %d", p.kmeansIterations));
    if (p.checks < 1)
        CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex: checks must be >= 1, got %d", p.checks));
    if (p.pcaDims < 0 || p.pcaDims > (int)kMaxDims)
        CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex: pcaDims must be in [0, %d], got %d", (int)kMaxDims, p.pcaDims));
    if (p.rerank < 1 || p.rerank > 1000)
        CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex: rerank must be in [1, 1000], got %d", p.rerank));
    // hnswlib's own bound on M is 10000 (it warns and clamps above); memory grows as 8 M bytes per row.
    if (p.hnswM < 2 || p.hnswM > 256)
        CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex: hnswM must be in [2, 256], got %d", p.hnswM));
    if (p.hnswEfConstruction < 1 || p.hnswEfConstruction > 100000)
        CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex: hnswEfConstruction must be in [1, 100000], got %d",
                                                  p.hnswEfConstruction));
}

class GalleryIndexImpl CV_FINAL : public GalleryIndex
{
public:
    void setData(const Mat& normalized, const std::vector<String>& ids)
    {
        vectors_ = normalized;
        quantized_.reset();
        setIds(ids, 0, normalized.rows);
    }

    void setIds(const std::vector<String>& ids, int first, int count)
    {
        if (!ids.empty() && (int)ids.size() != count)
            CV_Error(Error::StsBadSize, cv::format("GalleryIndex: %zu ids for %d feature rows", ids.size(), count));
        for (int i = 0; i < count; i++)
        {
            String id = ids.empty() ? std::to_string(first + i) : ids[i];
            if (id.size() > kMaxIdBytes)
                CV_Error(Error::StsBadArg, cv::format("GalleryIndex: id %d is longer than %u bytes", first + i, kMaxIdBytes));
            ids_.push_back(std::move(id));
        }
    }

    int size() const CV_OVERRIDE { return vectors_.rows; }
    int dims() const CV_OVERRIDE { return vectors_.cols; }
    std::vector<String> getIds() const CV_OVERRIDE { return ids_; }
    Mat getVectors() const CV_OVERRIDE { return vectors_; }
    GalleryANNParams getANNParams() const CV_OVERRIDE { return annParams_; }

    bool hasApproximate() const CV_OVERRIDE
    {
        if (hnsw_)
            return true;
#ifdef HAVE_OPENCV_FLANN
        return (bool)ann_;
#else
        return false;
#endif
    }

    void setChecks(int checks) CV_OVERRIDE
    {
        if (checks < 1)
            CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex::setChecks: checks must be >= 1, got %d", checks));
        annParams_.checks = checks;
        if (hnsw_)
            hnsw_->setEf(checks);
    }

    void add(InputArray features, const std::vector<String>& ids) CV_OVERRIDE
    {
        Mat f = detail::normalizedRows(features, "GalleryIndex::add: features", dims());
        const int first = size();
        setIds(ids, first, f.rows);
        Mat all;
        cv::vconcat(vectors_, f, all);
        vectors_ = all;
        quantized_.reset();
        if (!hnsw_)
        {
            dropApproximate(); // FLANN's structure points into (or copied) the old vectors
            return;
        }
        try
        {
            hnsw_->add(f); // inserted in row order: the graph a build over all rows gives
        }
        catch (...)
        {
            dropApproximate(); // a partly extended graph does not match the rows
            throw;
        }
    }

    void dropApproximate()
    {
#ifdef HAVE_OPENCV_FLANN
        ann_.reset();
#endif
        hnsw_.reset();
        projected_.release();
        pcaMean_.release();
        pcaBasis_.release();
    }

    void buildApproximate(const GalleryANNParams& params) CV_OVERRIDE
    {
        checkAnnParams(params);
        dropApproximate();
        if (params.algorithm == ANN_HNSW)
        {
            buildHnsw(params);
            return;
        }
#ifdef HAVE_OPENCV_FLANN
        fitProjection(params.pcaDims);
        cvflann::seed_random((unsigned)params.seed); // FLANN draws from std::rand()
        std::unique_ptr<FlannIndex> index(new FlannIndex(flannMatrix(), flannParams(params)));
        index->buildIndex();
        ann_ = std::move(index);
        annParams_ = params;
#else
        CV_Error(Error::StsNotImplemented, "GalleryIndex::buildApproximate: opencv_zsl was built without opencv_flann");
#endif
    }

    void search(InputArray queries, int k, OutputArray indices, OutputArray similarities, int mode) const CV_OVERRIDE
    {
        if (k < 1)
            CV_Error(Error::StsBadArg, cv::format("GalleryIndex::search: k must be >= 1, got %d", k));
        if (size() == 0)
            CV_Error(Error::StsBadArg, "GalleryIndex::search: the gallery is empty");
        Mat q = detail::normalizedRows(queries, "GalleryIndex::search: queries", dims());
        k = std::min(k, size());
        Mat idx, sim;
        if (mode == SEARCH_EXACT)
            detail::exactTopK(q, vectors_, std::vector<float>(), k, idx, sim, &quantized_);
        else if (mode == SEARCH_APPROXIMATE)
            searchApproximate(q, k, idx, sim);
        else
            CV_Error(Error::StsOutOfRange, cv::format("GalleryIndex::search: unknown mode %d", mode));
        idx.copyTo(indices);
        sim.copyTo(similarities);
    }

    void buildHnsw(const GalleryANNParams& params)
    {
        if (!detail::HnswGraph::available())
            CV_Error(Error::StsNotImplemented, "GalleryIndex::buildApproximate: ANN_HNSW needs opencv_zsl built with hnswlib "
                                               "(apt-get install libhnswlib-dev, then reconfigure)");
        if (size() == 0)
            CV_Error(Error::StsBadArg, "GalleryIndex::buildApproximate: the gallery is empty");
        std::unique_ptr<detail::HnswGraph> graph(new detail::HnswGraph(dims(), params.hnswM, params.hnswEfConstruction,
                                                                       params.seed));
        graph->add(vectors_);
        graph->setEf(params.checks);
        hnsw_ = std::move(graph);
        annParams_ = params;
    }

    void searchApproximate(const Mat& q, int k, Mat& idx, Mat& sim) const
    {
        if (hnsw_)
        {
            hnsw_->search(q, k, idx, sim);
            return;
        }
#ifdef HAVE_OPENCV_FLANN
        if (!ann_)
            CV_Error(Error::StsError, "GalleryIndex::search: SEARCH_APPROXIMATE needs buildApproximate() (or a saved index with one)");
        const int kk = std::min(size(), k * annParams_.rerank);
        Mat cidx(q.rows, kk, CV_32S), cdist(q.rows, kk, CV_32F);
        const Mat pq = project(q);
        cvflann::SearchParams sp(annParams_.checks);
        // FLANN searches keep their state on the stack: queries spread over threads safely.
        cv::parallel_for_(Range(0, q.rows), [&](const Range& r) {
            const int n = r.end - r.start;
            cvflann::Matrix<float> qm(const_cast<float*>(pq.ptr<float>(r.start)), n, pq.cols);
            cvflann::Matrix<int> im(cidx.ptr<int>(r.start), n, kk);
            cvflann::Matrix<float> dm(cdist.ptr<float>(r.start), n, kk);
            ann_->knnSearch(qm, im, dm, kk, sp);
        });
        // Exact cosines of the candidates on the full vectors, best k kept (ties: lower row).
        idx.create(q.rows, k, CV_32S);
        sim.create(q.rows, k, CV_32F);
        cv::parallel_for_(Range(0, q.rows), [&](const Range& r) {
            std::vector<std::pair<float, int>> cand;
            for (int i = r.start; i < r.end; i++)
            {
                cand.clear();
                const Eigen::Map<const Eigen::VectorXf> qv(q.ptr<float>(i), q.cols);
                for (int j = 0; j < kk; j++)
                {
                    const int c = cidx.at<int>(i, j);
                    if (c >= 0 && c < size())
                        cand.emplace_back(-Eigen::Map<const Eigen::VectorXf>(vectors_.ptr<float>(c), q.cols).dot(qv), c);
                }
                std::sort(cand.begin(), cand.end());
                cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
                for (int j = 0; j < k; j++)
                {
                    // Fewer than k candidates reached within `checks`: -1 / -FLT_MAX.
                    const bool ok = j < (int)cand.size();
                    idx.at<int>(i, j) = ok ? cand[j].second : -1;
                    sim.at<float>(i, j) = ok ? -cand[j].first : -FLT_MAX;
                }
            }
        });
#else
        CV_UNUSED(q); CV_UNUSED(k); CV_UNUSED(idx); CV_UNUSED(sim);
        CV_Error(Error::StsNotImplemented, "GalleryIndex::search: opencv_zsl was built without opencv_flann");
#endif
    }

    void save(const String& filename) const CV_OVERRIDE
    {
        {
            AtomicFile f(filename);
            std::string idBlock;
            for (const String& id : ids_)
            {
                const uint32_t n = (uint32_t)id.size();
                idBlock.append(reinterpret_cast<const char*>(&n), 4);
                idBlock.append(id);
            }
            Header h;
            std::memset(&h, 0, sizeof(h));
            std::memcpy(h.magic, kMagic, 8);
            h.version = kVersion;
            h.hasAnn = hasApproximate() ? 1 : 0;
            h.rows = (uint64_t)size();
            h.cols = (uint64_t)dims();
            h.idBytes = idBlock.size();
            h.idsCrc = crcOf(idBlock.data(), idBlock.size());
            h.vectorsCrc = crcOf(vectors_.data, vectors_.total() * sizeof(float));
            f.write(&h, sizeof(h));
            f.write(idBlock);
            if (!vectors_.empty())
                f.write(vectors_.data, vectors_.total() * sizeof(float));
            if (hasApproximate())
            {
                // FLANN: only the parameters, load() rebuilds the structure from them (deterministic for
                // the seed) instead of handing FLANN's serialisation to its unchecked reader. HNSW: the
                // graph in HnswGraph's own layout, which load() checks link by link.
                const std::string graph = hnsw_ ? hnsw_->serialize() : std::string();
                AnnHeader a;
                std::memset(&a, 0, sizeof(a));
                a.algorithm = annParams_.algorithm; a.trees = annParams_.trees; a.branching = annParams_.branching;
                a.kmeansIterations = annParams_.kmeansIterations; a.checks = annParams_.checks; a.seed = annParams_.seed;
                a.pcaDims = pcaBasis_.rows; a.rerank = annParams_.rerank;
                a.bytes = graph.size(); // FLANN: none (files of the first version carry one, which load() skips)
                a.crc = crcOf(graph.data(), graph.size());
                AnnHeaderV2Extension x;
                x.hnswM = annParams_.hnswM;
                x.hnswEfConstruction = annParams_.hnswEfConstruction;
                f.write(&a, sizeof(a));
                f.write(&x, sizeof(x));
                f.write(graph);
            }
            f.write(kEndMagic, 8);
            f.commit();
        }
    }

    void loadFrom(const String& filename)
    {
        detail::InputFile in(filename, "GalleryIndex::load", INPUT_LIMIT_DATA_BYTES); // regular files only, size capped
        const uint64_t fileSize = in.size();
        FILE* f = in.releaseToFILE();
        std::unique_ptr<FILE, int (*)(FILE*)> guard(f, &std::fclose);
        auto bad = [&](const std::string& what) {
            CV_Error(Error::StsParseError, cv::format("GalleryIndex::load: '%s': %s", filename.c_str(), what.c_str()));
        };
        GalleryANNParams rebuild;
        bool hasApproximateStructure = false;
        bool hasGraph = false; // version 3 HNSW files carry the graph itself
        std::string hnswGraph;
        Header h;
        if (std::fread(&h, sizeof(h), 1, f) != 1)
            bad("too short for a header");
        if (std::memcmp(h.magic, kMagic, 8) != 0)
            bad("not a zsl gallery index (bad magic)");
        if (h.version < 1 || h.version > kVersion)
            bad(cv::format("unsupported version %u (this build reads 1 to %u)", h.version, kVersion));
        // Sizes are checked against the file before anything is allocated.
        if (h.cols < 1 || h.cols > kMaxDims || h.rows < 1 || h.rows > (uint64_t)INT_MAX
            || h.idBytes > fileSize || h.rows > fileSize / (h.cols * sizeof(float))
            || sizeof(Header) + h.idBytes + h.rows * h.cols * sizeof(float) + 8 > fileSize)
            bad(cv::format("header (%llu x %llu, %llu id bytes) inconsistent with the file size %llu",
                           (unsigned long long)h.rows, (unsigned long long)h.cols,
                           (unsigned long long)h.idBytes, (unsigned long long)fileSize));
        std::string idBlock(h.idBytes, '\0');
        if (std::fread(&idBlock[0], 1, idBlock.size(), f) != idBlock.size() || crcOf(idBlock.data(), idBlock.size()) != h.idsCrc)
            bad("ids block truncated or corrupt");
        ids_.clear();
        size_t p = 0;
        for (uint64_t i = 0; i < h.rows; i++)
        {
            uint32_t n = 0;
            if (p + 4 > idBlock.size())
                bad(cv::format("ids block ends before id %llu", (unsigned long long)i));
            std::memcpy(&n, idBlock.data() + p, 4);
            p += 4;
            if (n > idBlock.size() - p)
                bad(cv::format("id %llu overruns the ids block", (unsigned long long)i));
            ids_.emplace_back(idBlock.data() + p, n);
            p += n;
        }
        if (p != idBlock.size())
            bad("trailing bytes in the ids block");
        vectors_.create((int)h.rows, (int)h.cols, CV_32F);
        if (std::fread(vectors_.data, sizeof(float), vectors_.total(), f) != vectors_.total()
            || crcOf(vectors_.data, vectors_.total() * sizeof(float)) != h.vectorsCrc)
            bad("vectors truncated or corrupt");
        if (h.hasAnn)
        {
            AnnHeader a;
            if (std::fread(&a, sizeof(a), 1, f) != 1)
                bad("ANN header truncated");
            GalleryANNParams params;
            params.algorithm = a.algorithm; params.trees = a.trees; params.branching = a.branching;
            params.kmeansIterations = a.kmeansIterations; params.checks = a.checks; params.seed = a.seed;
            params.pcaDims = a.pcaDims; params.rerank = a.rerank;
            if (h.version >= 2)
            {
                AnnHeaderV2Extension x;
                if (std::fread(&x, sizeof(x), 1, f) != 1)
                    bad("ANN header truncated");
                params.hnswM = x.hnswM;
                params.hnswEfConstruction = x.hnswEfConstruction;
            }
            try
            {
                checkAnnParams(params);
            }
            catch (const cv::Exception& e)
            {
                bad("ANN parameters: " + e.err);
            }
            if (params.pcaDims >= (int)h.cols)
                bad(cv::format("ANN projection of %d dims for %llu-d vectors", params.pcaDims, (unsigned long long)h.cols));
            const long pos = std::ftell(f);
            if (pos < 0 || a.bytes > fileSize || (uint64_t)pos + a.bytes + 8 > fileSize)
                bad("ANN section larger than the file");
            if (params.algorithm == ANN_HNSW && h.version >= 3)
            {
                hasGraph = true;
                hnswGraph.assign((size_t)a.bytes, '\0');
                if (std::fread(&hnswGraph[0], 1, hnswGraph.size(), f) != hnswGraph.size()
                    || crcOf(hnswGraph.data(), hnswGraph.size()) != a.crc)
                    bad("HNSW graph truncated or corrupt");
            }
            // Files of the first version carry FLANN's serialisation: skipped, never parsed. FLANN's
            // readers trust their input (fuzzing found a tree count that allocates 8 GB; nodes are
            // read recursively), so the structure is rebuilt below from the checked parameters.
            else if (std::fseek(f, (long)a.bytes, SEEK_CUR) != 0)
                bad("ANN section truncated");
            rebuild = params;
            hasApproximateStructure = true;
        }
        char end[8];
        if (std::fread(end, 1, 8, f) != 8 || std::memcmp(end, kEndMagic, 8) != 0)
            bad("end marker missing (truncated file)");
        if (hasApproximateStructure)
        {
            if (approximateAvailable(rebuild.algorithm))
            {
                if (hasGraph)
                {
                    // Every link is checked before hnswlib walks the graph (bad() throws on a malformed one).
                    hnsw_ = detail::HnswGraph::restore(hnswGraph, vectors_, rebuild.hnswM, rebuild.hnswEfConstruction,
                                                       rebuild.seed, bad);
                    if (!hnsw_)
                        CV_LOG_WARNING(NULL, cv::format("GalleryIndex::load: '%s': the HNSW graph's levels are not those "
                                                        "this build's hnswlib draws for its seed (another hnswlib or C++ "
                                                        "library?): rebuilding it from its parameters", filename.c_str()).c_str());
                }
                if (hnsw_)
                {
                    hnsw_->setEf(rebuild.checks);
                    annParams_ = rebuild;
                }
                else
                    buildApproximate(rebuild); // deterministic: the structure that was saved
            }
            else
            {
                CV_LOG_WARNING(NULL, cv::format("GalleryIndex::load: '%s': this build has no %s, the approximate structure "
                                                "is ignored (exact search only)", filename.c_str(),
                                                rebuild.algorithm == ANN_HNSW ? "hnswlib" : "opencv_flann").c_str());
            }
        }
    }

    static bool approximateAvailable(int algorithm)
    {
        if (algorithm == ANN_HNSW)
            return detail::HnswGraph::available();
#ifdef HAVE_OPENCV_FLANN
        if (algorithm != ANN_HNSW)
            return true;
#endif
        CV_UNUSED(algorithm);
        return false;
    }

private:
    /** PCA on a deterministic sample of rows (all rows up to 50000): basis of `dims` components. */
    void fitProjection(int dims)
    {
        pcaMean_.release();
        pcaBasis_.release();
        if (dims > 0 && dims < this->dims())
        {
            const int step = std::max(1, size() / 50000);
            Mat sample;
            for (int i = 0; i < size(); i += step)
                sample.push_back(vectors_.row(i));
            cv::PCA pca(sample, noArray(), cv::PCA::DATA_AS_ROW, dims);
            pca.mean.convertTo(pcaMean_, CV_32F);
            pca.eigenvectors.convertTo(pcaBasis_, CV_32F);
        }
        projected_ = project(vectors_);
    }

    /** Rows projected on the PCA basis ((x - mean) B^T), or `m` itself without a projection. */
    Mat project(const Mat& m) const
    {
        if (pcaBasis_.empty())
            return m;
        Mat out(m.rows, pcaBasis_.rows, CV_32F);
        const detail::ConstRowMapXf B = detail::viewEigen(pcaBasis_);
        const Eigen::Map<const Eigen::RowVectorXf> mu(pcaMean_.ptr<float>(), pcaMean_.cols);
        cv::parallel_for_(Range(0, (m.rows + 4095) / 4096), [&](const Range& r) {
            for (int b = r.start; b < r.end; b++)
            {
                const int r0 = b * 4096, n = std::min(4096, m.rows - r0);
                Eigen::Map<detail::RowMatrixXf> o(out.ptr<float>(r0), n, out.cols);
                o.noalias() = (detail::ConstRowMapXf(m.ptr<float>(r0), n, m.cols).rowwise() - mu) * B.transpose();
            }
        });
        return out;
    }

#ifdef HAVE_OPENCV_FLANN
    cvflann::Matrix<float> flannMatrix() const
    {
        return cvflann::Matrix<float>(const_cast<float*>(projected_.ptr<float>()), projected_.rows, projected_.cols);
    }
    std::unique_ptr<FlannIndex> ann_;
#endif
    std::unique_ptr<detail::HnswGraph> hnsw_;
    Mat pcaMean_, pcaBasis_, projected_;
    Mat vectors_;
    detail::LazyQuantizedRows quantized_; // 4-bit codes for single exact queries, built on first use
    std::vector<String> ids_;
    GalleryANNParams annParams_;
};

} // namespace

GalleryIndex::~GalleryIndex() {}

Ptr<GalleryIndex> GalleryIndex::create(InputArray features, const std::vector<String>& ids)
{
    Ptr<GalleryIndexImpl> g = makePtr<GalleryIndexImpl>();
    g->setData(detail::normalizedRows(features, "GalleryIndex::create: features"), ids);
    return g;
}

Ptr<GalleryIndex> GalleryIndex::createFromImages(const Ptr<VisualEncoder>& encoder, InputArrayOfArrays images,
                                                 const std::vector<String>& ids)
{
    if (!encoder)
        CV_Error(Error::StsNullPtr, "GalleryIndex::createFromImages: null encoder");
    Mat features;
    encoder->encode(images, features);
    return create(features, ids);
}

Ptr<GalleryIndex> GalleryIndex::load(const String& filename)
{
    return detail::publicBoundary(cv::format("GalleryIndex::load('%s')", filename.c_str()).c_str(), [&]() -> Ptr<GalleryIndex> {
        Ptr<GalleryIndexImpl> g = makePtr<GalleryIndexImpl>();
        g->loadFrom(filename);
        return g;
    });
}

double recallAtK(InputArray approximate, InputArray exact)
{
    Mat a = approximate.getMat(), e = exact.getMat();
    if (a.type() != CV_32SC1 || e.type() != CV_32SC1 || a.size() != e.size() || a.empty())
        CV_Error(Error::StsBadArg, "recallAtK: expects two non-empty CV_32S matrices of the same Q x k size");
    double sum = 0;
    for (int i = 0; i < a.rows; i++)
    {
        std::vector<int> er(e.ptr<int>(i), e.ptr<int>(i) + e.cols);
        std::sort(er.begin(), er.end());
        int hit = 0;
        for (int j = 0; j < a.cols; j++)
            hit += std::binary_search(er.begin(), er.end(), a.at<int>(i, j)) ? 1 : 0;
        sum += (double)hit / a.cols;
    }
    return sum / a.rows;
}

}} // namespace cv::zsl
