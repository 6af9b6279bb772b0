// This file is part of the opencv_zsl module (cv::zsl).
// Benchmark (a program, not a test): approximate gallery search, recall@10 against ms/query, for
// GalleryIndex's FLANN kd-trees and HNSW kinds on embedding-like vectors. It also writes the gallery,
// the queries and the exact top-k to --out so that tools/bench_ann.py can measure the peers (hnswlib's
// and FAISS's Python bindings) on the same data against the same ground truth, interleaved with this.
//
//   bench_ann [--rows=200000] [--dim=300] [--queries=1000] [--k=10] [--out=/tmp/zsl_ann] [--kinds=flann,hnsw]
//             [--flann-checks=128,256,512,1024,2048,4096] [--hnsw-ef=10,16,32,64,128,256] [--reuse]
// Output: one "RESULT ..." line per configuration (key=value), and per kind one "PERSIST ..." line
// (save and load seconds, file size, whether the loaded index answers as the built one), parsed by
// tools/bench_ann.py.
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include "opencv2/zsl.hpp"
#include "bench_data.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#include <sys/stat.h>

using namespace cv;
using namespace cv::zsl;

namespace {

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<int> parseList(const std::string& s)
{
    std::vector<int> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty())
            out.push_back(std::stoi(item));
    return out;
}

void writeRaw(const std::string& path, const Mat& m)
{
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(m.data), (std::streamsize)(m.total() * m.elemSize()));
    if (!f)
        CV_Error(Error::StsError, "bench_ann: cannot write " + path);
}

bool readRaw(const std::string& path, Mat& m)
{
    std::ifstream f(path, std::ios::binary);
    return f.read(reinterpret_cast<char*>(m.data), (std::streamsize)(m.total() * m.elemSize())) && f.gcount() > 0;
}

// Median over `reps` runs of a batched search (ms/query) and of `singles` one-query searches (ms).
void measure(const Ptr<GalleryIndex>& g, const Mat& q, int k, const Mat& exact, const char* kind, const char* param,
             int value, double buildSeconds)
{
    Mat idx, sim;
    std::vector<double> batch;
    for (int r = 0; r < 3; r++)
    {
        const double t0 = now();
        g->search(q, k, idx, sim, GalleryIndex::SEARCH_APPROXIMATE);
        batch.push_back((now() - t0) * 1e3 / q.rows);
    }
    const double recall = recallAtK(idx, exact);
    std::vector<double> single;
    Mat i1, s1;
    const int singles = std::min(q.rows, 200);
    for (int r = 0; r < singles; r++)
    {
        const double t0 = now();
        g->search(q.row(r), k, i1, s1, GalleryIndex::SEARCH_APPROXIMATE);
        single.push_back((now() - t0) * 1e3);
    }
    std::sort(batch.begin(), batch.end());
    std::sort(single.begin(), single.end());
    std::printf("RESULT impl=cv::zsl kind=%s %s=%d recall=%.4f batch_ms=%.4f single_ms=%.4f build_s=%.2f build_threads=%d\n",
                kind, param, value, recall, batch[1], single[single.size() / 2], buildSeconds,
                std::string(kind) == "hnsw" ? 1 : cv::getNumThreads());
    std::fflush(stdout);
}

// save() then load() (median of 3 loads) of the built index; the loaded one must give the same answers.
void persist(const Ptr<GalleryIndex>& g, const Mat& q, int k, const std::string& path, const char* kind)
{
    double t0 = now();
    g->save(path);
    const double save = now() - t0;
    std::vector<double> loads;
    Ptr<GalleryIndex> back;
    for (int r = 0; r < 3; r++)
    {
        back.release(); // one loaded copy at a time: a second one of a 2M gallery pushes the file out of the page cache
        t0 = now();
        back = GalleryIndex::load(path);
        loads.push_back(now() - t0);
    }
    std::sort(loads.begin(), loads.end());
    Mat a, as, b, bs;
    g->search(q, k, a, as, GalleryIndex::SEARCH_APPROXIMATE);
    back->search(q, k, b, bs, GalleryIndex::SEARCH_APPROXIMATE);
    struct stat st;
    const double mb = ::stat(path.c_str(), &st) == 0 ? st.st_size / 1048576.0 : -1;
    std::printf("PERSIST impl=cv::zsl kind=%s save_s=%.3f load_s=%.3f file_mb=%.1f same_answers=%d\n", kind, save,
                loads[1], mb, cv::norm(a, b, NORM_INF) == 0 && cv::norm(as, bs, NORM_INF) == 0 ? 1 : 0);
    std::fflush(stdout);
    std::remove(path.c_str());
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{help h       |            | print this help}"
        "{rows         | 200000     | gallery vectors}"
        "{dim          | 300        | dimension}"
        "{queries      | 1000       | queries}"
        "{k            | 10         | neighbours}"
        "{out          | /tmp/zsl_ann | folder for gallery.f32, queries.f32, exact.i32 (the peers' input)}"
        "{kinds        | flann,hnsw | which GalleryIndex kinds to measure}"
        "{flann-checks | 128,256,512,1024,2048,4096 | FLANN checks}"
        "{hnsw-ef      | 10,16,32,64,128,256 | HNSW search list sizes (checks)}"
        "{hnsw-m       | 16         | HNSW M}"
        "{hnsw-efc     | 200        | HNSW efConstruction}"
        "{reuse        |            | reuse the data files of an earlier run with the same sizes}";
    CommandLineParser parser(argc, argv, keys);
    if (parser.has("help") || !parser.check())
    {
        parser.printMessage();
        return parser.has("help") ? 0 : 2;
    }
    const int n = parser.get<int>("rows"), d = parser.get<int>("dim"), nq = parser.get<int>("queries"), k = parser.get<int>("k");
    // CommandLineParser reads "--rows 3000" (a space, not '=') as a flag: its value arrives as 0.
    if (n < 1 || d < 1 || nq < 1 || k < 1 || k > n)
    {
        std::fprintf(stderr, "bench_ann: need rows, dim, queries >= 1 and 1 <= k <= rows (got %d, %d, %d, k %d); "
                             "write options as --rows=N\n", n, d, nq, k);
        return 2;
    }
    const std::string out = parser.get<String>("out"), kinds = parser.get<String>("kinds");
    ::mkdir(out.c_str(), 0755);
    Mat x(n, d, CV_32F), q(nq, d, CV_32F), exact(nq, k, CV_32S);
    const bool reuse = parser.has("reuse") && readRaw(out + "/gallery.f32", x) && readRaw(out + "/queries.f32", q) &&
                       readRaw(out + "/exact.i32", exact);
    Ptr<GalleryIndex> g;
    if (!reuse)
    {
        x = zsl_bench::embeddingLike(n, d, 1);
        q = zsl_bench::embeddingLike(nq, d, 2);
        g = GalleryIndex::create(x);
        Mat esim;
        g->search(q, k, exact, esim);
        writeRaw(out + "/gallery.f32", g->getVectors()); // normalised: the peers index the same vectors
        Mat qn;
        for (int i = 0; i < nq; i++)
            qn.push_back(Mat(q.row(i) / cv::norm(q.row(i))));
        writeRaw(out + "/queries.f32", qn);
        writeRaw(out + "/exact.i32", exact);
    }
    else
        g = GalleryIndex::create(x);
    std::printf("bench_ann: %d x %d gallery, %d queries, k=%d, %d threads for search, data %s\n", n, d, nq, k,
                cv::getNumThreads(), reuse ? "reused" : "generated");

    // One curve: build with p, then one measurement per candidate-list size of the comma-separated knob list.
    auto curve = [&](const GalleryANNParams& p, const char* kind, const char* knob, const String& values) {
        const double t0 = now();
        g->buildApproximate(p);
        const double build = now() - t0;
        for (int v : parseList(values))
        {
            g->setChecks(v);
            measure(g, q, k, exact, kind, knob, v, build);
        }
        persist(g, q, k, out + "/index-" + kind + ".zslidx", kind);
    };
    if (kinds.find("flann") != std::string::npos)
        curve(GalleryANNParams(), "flann-kdtree", "checks", parser.get<String>("flann-checks")); // kd-trees(4), PCA 32, rerank x10
    if (kinds.find("hnsw") != std::string::npos)
    {
        GalleryANNParams p;
        p.algorithm = GalleryIndex::ANN_HNSW;
        p.hnswM = parser.get<int>("hnsw-m");
        p.hnswEfConstruction = parser.get<int>("hnsw-efc");
        curve(p, "hnsw", "ef", parser.get<String>("hnsw-ef"));
    }
    return 0;
}
