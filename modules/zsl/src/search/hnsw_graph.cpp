// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "search/hnsw_graph.hpp"

#ifdef ZSL_HAVE_HNSWLIB
#include <hnswlib/hnswlib.h>
#endif

#include <algorithm>
#include <cfloat>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

namespace cv {
namespace zsl {
namespace detail {

#ifdef ZSL_HAVE_HNSWLIB

namespace {

// hnswlib reports failures as std::runtime_error or std::bad_alloc: only cv::Exception leaves the module.
template <class F>
void hnswlibCall(const char* where, F&& f)
{
    try
    {
        f();
    }
    catch (const std::bad_alloc&)
    {
        CV_Error(Error::StsNoMem, cv::format("%s: out of memory for the HNSW graph", where));
    }
    catch (const std::runtime_error& e)
    {
        CV_Error(Error::StsError, cv::format("%s: hnswlib: %s", where, e.what()));
    }
}

template <class T>
void append(std::string& out, T value)
{
    out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

// Bounds-checked little-endian reads of a serialised graph.
struct BlobReader
{
    const std::string& blob;
    const std::function<void(const std::string&)>& bad;
    size_t pos = 0;

    template <class T>
    T next(const char* what)
    {
        T value;
        if (blob.size() - pos < sizeof(T))
        {
            bad(cv::format("HNSW graph truncated at byte %zu (reading %s)", pos, what));
            CV_Error(Error::StsParseError, "HNSW graph truncated"); // bad() throws; never reached
        }
        std::memcpy(&value, blob.data() + pos, sizeof(T));
        pos += sizeof(T);
        return value;
    }
};

// hnswlib 0.6.2's insertion search prefetches the id after the last one of a neighbour list
// (searchBaseLayer, `*(datal + j + 1)`; nmslib/hnswlib#107, #578): for a full list on an element's top
// level that reads 4 bytes past the block addPoint() allocated for the upper levels (found by ASan in
// fuzz_gallery_index). The element's upper-level block is replaced right after its insertion by a copy
// with one spare id, so the read stays inside; hnswlib frees it with free() as its own.
const size_t kUpperLevelPadding = sizeof(hnswlib::tableint);

//! Size of an element's upper-level block as addPoint() allocates it (one spare byte included).
size_t upperLevelBytes(const hnswlib::HierarchicalNSW<float>& g, int level)
{
    return g.size_links_per_element_ * level + 1;
}

void padUpperLevels(hnswlib::HierarchicalNSW<float>& g, hnswlib::tableint id)
{
    const int level = g.element_levels_[id];
    if (level <= 0)
        return;
    const size_t bytes = upperLevelBytes(g, level);
    char* padded = static_cast<char*>(std::calloc(bytes + kUpperLevelPadding, 1));
    if (!padded)
        throw std::bad_alloc();
    std::memcpy(padded, g.linkLists_[id], bytes);
    std::free(g.linkLists_[id]);
    g.linkLists_[id] = padded;
}

} // namespace

struct HnswGraph::Impl
{
    // The graph keeps a pointer to the space: declared first, destroyed last.
    hnswlib::InnerProductSpace space;
    hnswlib::HierarchicalNSW<float> graph;
    int dims;

    // Room for one element: hnswlib allocates its capacity up front, add() and restore() resize it.
    Impl(int d, int M, int efConstruction, int seed)
        : space((size_t)d), graph(&space, 1, (size_t)M, (size_t)efConstruction, (size_t)(uint32_t)seed), dims(d)
    {
    }
};

bool HnswGraph::available() { return true; }

HnswGraph::HnswGraph(int dims, int M, int efConstruction, int seed)
{
    CV_Assert(dims > 0 && M >= 2 && efConstruction >= 1);
    hnswlibCall("HnswGraph", [&]() { impl_.reset(new Impl(dims, M, efConstruction, seed)); });
}

HnswGraph::~HnswGraph() {}

int HnswGraph::size() const { return (int)impl_->graph.cur_element_count; }
int HnswGraph::dims() const { return impl_->dims; }
void HnswGraph::setEf(int ef) { impl_->graph.setEf((size_t)std::max(ef, 1)); }

void HnswGraph::add(const Mat& rows)
{
    CV_Assert(rows.type() == CV_32F && rows.isContinuous() && rows.cols == dims());
    hnswlib::HierarchicalNSW<float>& g = impl_->graph;
    const size_t first = g.cur_element_count, total = first + (size_t)rows.rows;
    hnswlibCall("HnswGraph::add", [&]() {
        if (total > g.max_elements_)
            g.resizeIndex(total);
        // In row order on one thread: hnswlib's parallel insertion makes the graph depend on the
        // scheduling, and the same rows and seed must give the same graph (and the same answers).
        for (int i = 0; i < rows.rows; i++)
        {
            g.addPoint(rows.ptr<float>(i), (hnswlib::labeltype)(first + i));
            padUpperLevels(g, (hnswlib::tableint)(first + i));
        }
    });
}

void HnswGraph::search(const Mat& q, int k, Mat& idx, Mat& sim) const
{
    CV_Assert(q.type() == CV_32F && q.cols == dims() && k >= 1);
    const hnswlib::HierarchicalNSW<float>& g = impl_->graph;
    idx.create(q.rows, k, CV_32S);
    sim.create(q.rows, k, CV_32F);
    // hnswlib's searches only read the graph (visited lists come from a locked pool): queries spread
    // over threads safely. Its distance is 1 - <q, x> on normalised rows, exact: no re-ranking.
    cv::parallel_for_(Range(0, q.rows), [&](const Range& r) {
        std::vector<std::pair<float, int>> found;
        for (int i = r.start; i < r.end; i++)
        {
            std::priority_queue<std::pair<float, hnswlib::labeltype>> result = g.searchKnn(q.ptr<float>(i), (size_t)k);
            found.clear();
            for (; !result.empty(); result.pop())
                found.emplace_back(result.top().first, (int)result.top().second);
            std::sort(found.begin(), found.end()); // closest first; equal distances: lower row first
            for (int j = 0; j < k; j++)
            {
                const bool ok = j < (int)found.size();
                idx.at<int>(i, j) = ok ? found[j].second : -1;
                sim.at<float>(i, j) = ok ? 1.f - found[j].first : -FLT_MAX;
            }
        }
    });
}

// Layout: u64 elements, u32 entry point, i32 top level; then per element: u8 level, and for each
// level 0 .. level: u32 count, count u32 neighbour ids.
std::string HnswGraph::serialize() const
{
    const hnswlib::HierarchicalNSW<float>& g = impl_->graph;
    std::string out;
    append<uint64_t>(out, (uint64_t)g.cur_element_count);
    append<uint32_t>(out, (uint32_t)g.enterpoint_node_);
    append<int32_t>(out, (int32_t)g.maxlevel_);
    for (size_t i = 0; i < g.cur_element_count; i++)
    {
        const int level = g.element_levels_[i];
        CV_Assert(level >= 0 && level <= 255);
        append<uint8_t>(out, (uint8_t)level);
        for (int l = 0; l <= level; l++)
        {
            hnswlib::linklistsizeint* list = g.get_linklist_at_level((hnswlib::tableint)i, l);
            const uint32_t count = g.getListCount(list);
            append<uint32_t>(out, count);
            out.append(reinterpret_cast<const char*>(list + 1), count * sizeof(hnswlib::tableint));
        }
    }
    return out;
}

std::unique_ptr<HnswGraph> HnswGraph::restore(const std::string& blob, const Mat& rows, int M, int efConstruction,
                                              int seed, const std::function<void(const std::string&)>& bad)
{
    CV_Assert(rows.type() == CV_32F && rows.isContinuous() && rows.rows > 0);
    BlobReader in{blob, bad};
    const uint64_t n = in.next<uint64_t>("the element count");
    if (n != (uint64_t)rows.rows)
        bad(cv::format("HNSW graph of %llu elements for %d rows", (unsigned long long)n, rows.rows));
    const uint32_t entry = in.next<uint32_t>("the entry point");
    const int32_t top = in.next<int32_t>("the top level");

    std::unique_ptr<HnswGraph> out(new HnswGraph(rows.cols, M, efConstruction, seed));
    hnswlibCall("HnswGraph::restore", [&]() { out->impl_->graph.resizeIndex((size_t)n); });
    hnswlib::HierarchicalNSW<float>& g = out->impl_->graph;

    // The level of every element is the seed's draw at its insertion (one per element, in row order):
    // replaying the draws gives the levels, the entry point (the first element on the highest level)
    // and the generator's state after the last insertion, so add() continues as on the saved graph.
    std::vector<int> levels((size_t)n);
    int highest = -1;
    uint32_t first = 0;
    for (size_t i = 0; i < (size_t)n; i++)
    {
        levels[i] = g.getRandomLevel(g.mult_);
        if (levels[i] > highest)
        {
            highest = levels[i];
            first = (uint32_t)i;
        }
    }
    if (entry != first || top != highest)
        return nullptr; // another generator (hnswlib or C++ library): the levels below would differ too

    for (size_t i = 0; i < (size_t)n; i++)
    {
        const int level = in.next<uint8_t>("an element level");
        if (level != levels[i])
            return nullptr;
        char* element = g.data_level0_memory_ + i * g.size_data_per_element_;
        std::memset(element, 0, g.size_data_per_element_);
        std::memcpy(g.getDataByInternalId((hnswlib::tableint)i), rows.ptr<float>((int)i), g.data_size_);
        const hnswlib::labeltype label = (hnswlib::labeltype)i;
        std::memcpy(element + g.label_offset_, &label, sizeof(label));
        g.element_levels_[i] = level;
        g.linkLists_[i] = nullptr;
        if (level > 0)
        {
            // Padded as padUpperLevels() does.
            g.linkLists_[i] = static_cast<char*>(std::calloc(upperLevelBytes(g, level) + kUpperLevelPadding, 1));
            if (!g.linkLists_[i])
                CV_Error(Error::StsNoMem, "HnswGraph::restore: out of memory for the upper levels");
        }
        g.cur_element_count = i + 1; // the destructor frees the lists allocated so far
        g.label_lookup_[label] = (hnswlib::tableint)i;
        for (int l = 0; l <= level; l++)
        {
            const uint32_t count = in.next<uint32_t>("a neighbour count");
            const size_t limit = l == 0 ? g.maxM0_ : g.maxM_;
            if (count > limit)
                bad(cv::format("HNSW element %zu level %d lists %u neighbours (at most %zu)", i, l, count, limit));
            hnswlib::linklistsizeint* list = g.get_linklist_at_level((hnswlib::tableint)i, l);
            g.setListCount(list, (unsigned short)count);
            hnswlib::tableint* ids = reinterpret_cast<hnswlib::tableint*>(list + 1);
            for (uint32_t j = 0; j < count; j++)
            {
                const uint32_t id = in.next<uint32_t>("a neighbour id");
                // A search on level l reads the level-l list of every neighbour it meets there.
                if (id >= n || levels[id] < l)
                    bad(cv::format("HNSW element %zu level %d: neighbour %u %s", i, l, id,
                                   id >= n ? "beyond the last row" : "is not on that level"));
                ids[j] = id;
            }
        }
    }
    if (in.pos != blob.size())
        bad(cv::format("%zu trailing bytes after the HNSW graph", blob.size() - in.pos));
    g.enterpoint_node_ = entry;
    g.maxlevel_ = top;
    return out;
}

#else // no hnswlib

struct HnswGraph::Impl
{
};

bool HnswGraph::available() { return false; }

HnswGraph::HnswGraph(int, int, int, int)
{
    CV_Error(Error::StsNotImplemented, "ANN_HNSW needs opencv_zsl built with hnswlib (apt-get install libhnswlib-dev, "
                                       "then reconfigure)");
}

HnswGraph::~HnswGraph() {}
int HnswGraph::size() const { return 0; }
int HnswGraph::dims() const { return 0; }
void HnswGraph::setEf(int) {}
void HnswGraph::add(const Mat&) {}
void HnswGraph::search(const Mat&, int, Mat&, Mat&) const {}
std::string HnswGraph::serialize() const { return std::string(); }

std::unique_ptr<HnswGraph> HnswGraph::restore(const std::string&, const Mat& rows, int M, int efConstruction, int seed,
                                              const std::function<void(const std::string&)>&)
{
    return std::unique_ptr<HnswGraph>(new HnswGraph(rows.cols, M, efConstruction, seed)); // throws
}

#endif

}}} // namespace cv::zsl::detail
