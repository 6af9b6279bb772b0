// This file is part of the opencv_zsl module (cv::zsl).
// The HNSW graph of a GalleryIndex: saved and read back link by link (no rebuild), grown by add()
// exactly as a build over all rows, and hostile graph sections refused before hnswlib walks them.
#include "test_precomp.hpp"
#include <zlib.h>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

namespace opencv_test {
namespace {

#ifdef ZSL_HAVE_HNSWLIB

using namespace cv::zsl;
using zsltest::clustered;
using zsltest::embeddingLike;
using zsltest::tempDir;

std::string readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeBytes(const std::string& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary) << bytes;
}

GalleryANNParams hnswParams()
{
    GalleryANNParams p;
    p.algorithm = GalleryIndex::ANN_HNSW;
    p.hnswM = 8;
    p.hnswEfConstruction = 60;
    p.checks = 32;
    return p;
}

void approximate(const Ptr<GalleryIndex>& index, const Mat& q, Mat& idx, Mat& sim)
{
    index->search(q, 10, idx, sim, GalleryIndex::SEARCH_APPROXIMATE);
}

// Where the parts of a saved gallery file lie (layout of src/search/gallery_index.cpp, format version 3).
struct GalleryFileLayout
{
    size_t annHeader, graph, graphBytes;
    explicit GalleryFileLayout(const std::string& bytes)
    {
        uint64_t rows = 0, cols = 0, idBytes = 0;
        std::memcpy(&rows, &bytes[16], 8);
        std::memcpy(&cols, &bytes[24], 8);
        std::memcpy(&idBytes, &bytes[32], 8);
        annHeader = 48 + (size_t)idBytes + (size_t)(rows * cols * 4);
        uint64_t n = 0;
        std::memcpy(&n, &bytes[annHeader + 32], 8);
        graphBytes = (size_t)n;
        graph = annHeader + 48 + 8; // AnnHeader, then its HNSW extension
    }
};

// Replaces the graph section by `graph`, with the byte count and CRC that make it well framed.
std::string withGraph(const std::string& file, const std::string& graph)
{
    const GalleryFileLayout at(file);
    std::string out = file.substr(0, at.graph) + graph + file.substr(at.graph + at.graphBytes);
    const uint64_t n = graph.size();
    const uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(graph.data()), (uInt)graph.size());
    std::memcpy(&out[at.annHeader + 32], &n, 8);
    std::memcpy(&out[at.annHeader + 40], &crc, 4);
    return out;
}

// Offsets inside the graph section: per element its level byte and, per level, its neighbour count.
struct GraphWalk
{
    std::vector<size_t> levelAt;
    std::vector<std::vector<size_t>> countAt;
    explicit GraphWalk(const std::string& g)
    {
        uint64_t n = 0;
        std::memcpy(&n, &g[0], 8);
        size_t p = 16;
        for (uint64_t i = 0; i < n; i++)
        {
            levelAt.push_back(p);
            const int level = (uint8_t)g[p++];
            countAt.emplace_back();
            for (int l = 0; l <= level; l++)
            {
                uint32_t c = 0;
                std::memcpy(&c, &g[p], 4);
                countAt.back().push_back(p);
                p += 4 + 4 * (size_t)c;
            }
        }
        EXPECT_EQ(p, g.size());
    }
    int level(const std::string& g, size_t i) const { return (uint8_t)g[levelAt[i]]; }
};

void expectRefused(const std::string& path, const std::string& bytes, const std::string& what)
{
    writeBytes(path, bytes);
    try
    {
        GalleryIndex::load(path);
        ADD_FAILURE() << "accepted a gallery whose HNSW graph has " << what;
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(e.err.find(path), std::string::npos) << e.err;
        EXPECT_NE(e.err.find(what), std::string::npos) << e.err;
    }
}

TEST(ZSL_HnswGraph, loadReadsTheSavedGraphInsteadOfRebuildingIt)
{
    const Mat g = embeddingLike(6000, 48, 40, 6, 21), q = embeddingLike(300, 48, 40, 6, 22);
    Ptr<GalleryIndex> built = GalleryIndex::create(g);
    const auto t0 = std::chrono::steady_clock::now();
    built->buildApproximate(hnswParams());
    const auto t1 = std::chrono::steady_clock::now();
    const std::string dir = tempDir(), path = dir + "/graph.zslidx";
    built->save(path);

    const auto t2 = std::chrono::steady_clock::now();
    Ptr<GalleryIndex> loaded = GalleryIndex::load(path);
    const auto t3 = std::chrono::steady_clock::now();
    ASSERT_TRUE(loaded->hasApproximate());
    std::cout << "    [ INFO ] 6000 x 48, M 8, efC 60: build "
              << std::chrono::duration<double>(t1 - t0).count() << " s, load (graph read and checked) "
              << std::chrono::duration<double>(t3 - t2).count() << " s" << std::endl;

    // The same graph: the same answers at every candidate list size, and the same bytes when saved again.
    for (int ef : {10, 32, 100})
    {
        built->setChecks(ef);
        loaded->setChecks(ef);
        Mat a, as, b, bs;
        approximate(built, q, a, as);
        approximate(loaded, q, b, bs);
        EXPECT_EQ(cv::norm(a, b, NORM_INF), 0) << "ef " << ef;
        EXPECT_EQ(cv::norm(as, bs, NORM_INF), 0) << "ef " << ef;
    }
    loaded->setChecks(hnswParams().checks);
    loaded->save(dir + "/again.zslidx");
    EXPECT_TRUE(readBytes(path) == readBytes(dir + "/again.zslidx"));
    // The graph is most of what an HNSW file adds to the vectors: about 2 M links per row at level 0.
    const GalleryFileLayout at(readBytes(path));
    EXPECT_GT(at.graphBytes, (size_t)g.rows * 4 * 8);
    EXPECT_LT(at.graphBytes, (size_t)g.rows * (4 * 16 + 4 * 16));
}

TEST(ZSL_HnswGraph, addInsertsIntoTheGraphAsABuildOverAllRowsWould)
{
    const Mat g = embeddingLike(4000, 32, 30, 5, 31), q = embeddingLike(200, 32, 30, 5, 32);
    const std::string dir = tempDir();
    Ptr<GalleryIndex> whole = GalleryIndex::create(g);
    whole->buildApproximate(hnswParams());
    whole->save(dir + "/whole.zslidx");

    // Built on the first 2500 rows, then grown by two add() calls.
    Ptr<GalleryIndex> grown = GalleryIndex::create(g.rowRange(0, 2500));
    grown->buildApproximate(hnswParams());
    grown->add(g.rowRange(2500, 3100));
    grown->add(g.rowRange(3100, 4000));
    ASSERT_TRUE(grown->hasApproximate());
    grown->save(dir + "/grown.zslidx");
    EXPECT_TRUE(readBytes(dir + "/whole.zslidx") == readBytes(dir + "/grown.zslidx"));

    // Saved at 2500 rows, loaded, then grown: the level draws continue where the saved graph stopped.
    Ptr<GalleryIndex> part = GalleryIndex::create(g.rowRange(0, 2500));
    part->buildApproximate(hnswParams());
    part->save(dir + "/part.zslidx");
    Ptr<GalleryIndex> resumed = GalleryIndex::load(dir + "/part.zslidx");
    resumed->add(g.rowRange(2500, 4000));
    resumed->save(dir + "/resumed.zslidx");
    EXPECT_TRUE(readBytes(dir + "/whole.zslidx") == readBytes(dir + "/resumed.zslidx"));

    Mat a, as, b, bs, exact, es;
    approximate(whole, q, a, as);
    approximate(resumed, q, b, bs);
    EXPECT_EQ(cv::norm(a, b, NORM_INF), 0);
    whole->search(q, 10, exact, es);
    EXPECT_GE(recallAtK(b, exact), 0.9);

    // A FLANN structure cannot grow: add() drops it, and approximate search asks for a rebuild.
    Ptr<GalleryIndex> flann = GalleryIndex::create(g.rowRange(0, 2500));
    flann->buildApproximate();
    flann->add(g.rowRange(2500, 2600));
    EXPECT_FALSE(flann->hasApproximate());
    EXPECT_THROW(approximate(flann, q, a, as), cv::Exception);
}

TEST(ZSL_HnswGraph, hostileGraphSectionsAreRefusedBeforeTheGraphIsSearched)
{
    const Mat g = embeddingLike(1500, 16, 20, 4, 41), q = embeddingLike(50, 16, 20, 4, 42);
    Ptr<GalleryIndex> index = GalleryIndex::create(g);
    index->buildApproximate(hnswParams());
    const std::string dir = tempDir(), path = dir + "/hostile.zslidx";
    index->save(dir + "/ok.zslidx");
    const std::string file = readBytes(dir + "/ok.zslidx");
    const GalleryFileLayout at(file);
    const std::string graph = file.substr(at.graph, at.graphBytes);
    const GraphWalk walk(graph);
    ASSERT_EQ(walk.levelAt.size(), (size_t)g.rows);
    EXPECT_TRUE(withGraph(file, graph) == file); // the test's framing is the file's

    auto put32 = [](std::string s, size_t at32, uint32_t v) { std::memcpy(&s[at32], &v, 4); return s; };
    const size_t firstId = walk.countAt[0][0] + 4;
    expectRefused(path, withGraph(file, put32(graph, firstId, (uint32_t)g.rows)), "beyond the last row");
    expectRefused(path, withGraph(file, put32(graph, firstId, 0xFFFFFFFFu)), "beyond the last row");
    expectRefused(path, withGraph(file, put32(graph, walk.countAt[0][0], 17)), "at most 16");
    expectRefused(path, withGraph(file, put32(graph, walk.countAt[0][0], 0x10000)), "at most 16");
    expectRefused(path, withGraph(file, graph.substr(0, graph.size() - 4)), "truncated at byte");
    expectRefused(path, withGraph(file, graph.substr(0, 20)), "truncated at byte");
    expectRefused(path, withGraph(file, std::string()), "truncated at byte");
    expectRefused(path, withGraph(file, graph + std::string(4, '\0')), "trailing bytes");
    std::string count = graph;
    const uint64_t more = g.rows + 1;
    std::memcpy(&count[0], &more, 8);
    expectRefused(path, withGraph(file, count), "elements for 1500 rows");

    // A link on level 1 to an element that has only level 0: hnswlib would read a list that does not exist.
    size_t upper = 0, ground = 0;
    while (upper < walk.levelAt.size() && walk.level(graph, upper) == 0)
        upper++;
    while (ground < walk.levelAt.size() && walk.level(graph, ground) != 0)
        ground++;
    ASSERT_LT(upper, walk.levelAt.size());
    uint32_t upperCount = 0;
    std::memcpy(&upperCount, &graph[walk.countAt[upper][1]], 4);
    ASSERT_GT(upperCount, 0u);
    expectRefused(path, withGraph(file, put32(graph, walk.countAt[upper][1] + 4, (uint32_t)ground)), "not on that level");

    // A byte changed without the CRC that covers it.
    std::string flipped = file;
    flipped[at.graph + walk.countAt[7][0] + 4] ^= 0x01;
    expectRefused(path, flipped, "HNSW graph truncated or corrupt");

    // Levels other than the seed's draws (another hnswlib or C++ library): the graph is rebuilt from its
    // parameters, with a warning, and answers as the saved one.
    std::string levels = graph;
    levels[walk.levelAt[0]] = (char)(walk.level(graph, 0) + 1);
    writeBytes(path, withGraph(file, levels));
    Ptr<GalleryIndex> rebuilt = GalleryIndex::load(path);
    ASSERT_TRUE(rebuilt->hasApproximate());
    Mat a, as, b, bs;
    approximate(index, q, a, as);
    approximate(rebuilt, q, b, bs);
    EXPECT_EQ(cv::norm(a, b, NORM_INF), 0);
    EXPECT_NO_THROW(GalleryIndex::load(dir + "/ok.zslidx"));
}

TEST(ZSL_HnswGraph, badParametersAndHostileParameterSections)
{
    Mat g = clustered(300, 8, 5, 0.4, 9);
    Ptr<GalleryIndex> index = GalleryIndex::create(g);
    GalleryANNParams p;
    p.algorithm = GalleryIndex::ANN_HNSW;
    for (int m : {0, 1, 257, 1 << 30})
    {
        GalleryANNParams b = p;
        b.hnswM = m;
        EXPECT_THROW(index->buildApproximate(b), cv::Exception) << "hnswM " << m;
    }
    for (int ef : {0, -5, 100001})
    {
        GalleryANNParams b = p;
        b.hnswEfConstruction = ef;
        EXPECT_THROW(index->buildApproximate(b), cv::Exception) << "efConstruction " << ef;
    }
    GalleryANNParams unknown = p;
    unknown.algorithm = 3;
    EXPECT_THROW(index->buildApproximate(unknown), cv::Exception);

    index->buildApproximate(p);
    const std::string dir = tempDir();
    index->save(dir + "/ok.zslidx");
    const std::string bytes = readBytes(dir + "/ok.zslidx");
    // The HNSW parameters follow the ANN header: a hostile M must be refused before anything is built
    // (M = 2^30 would ask hnswlib for terabytes).
    const GalleryFileLayout layout(bytes);
    const size_t mAt = layout.annHeader + 48, efAt = mAt + 4;
    int32_t m = 0;
    std::memcpy(&m, &bytes[mAt], 4);
    ASSERT_EQ(m, 16);
    for (const auto& field : {std::make_pair(mAt, (int32_t)(1 << 30)), std::make_pair(efAt, (int32_t)-1)})
    {
        std::string hostile = bytes;
        std::memcpy(&hostile[field.first], &field.second, 4);
        std::ofstream(dir + "/hostile.zslidx", std::ios::binary) << hostile;
        try
        {
            GalleryIndex::load(dir + "/hostile.zslidx");
            ADD_FAILURE() << "hostile HNSW parameter accepted";
        }
        catch (const cv::Exception& e)
        {
            EXPECT_NE(e.err.find("hostile.zslidx"), std::string::npos) << e.err;
            EXPECT_NE(e.err.find("hnsw"), std::string::npos) << e.err;
        }
    }
    // Cut inside the HNSW extension of the ANN header.
    std::ofstream(dir + "/cut.zslidx", std::ios::binary) << bytes.substr(0, mAt + 6);
    EXPECT_THROW(GalleryIndex::load(dir + "/cut.zslidx"), cv::Exception);
    EXPECT_NO_THROW(GalleryIndex::load(dir + "/ok.zslidx"));
}
#endif // ZSL_HAVE_HNSWLIB

}} // namespace opencv_test
