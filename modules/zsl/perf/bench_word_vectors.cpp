// This file is part of the opencv_zsl module (cv::zsl).
// Benchmark (a program, not a test): word-vector loading speed and memory, gallery search latency
// (exact and FLANN) with recall@10. Peers measured in the same run: an istream >> float parser
// for loading, a cv::gemm + partial_sort brute force for exact search.
//
//   bench_word_vectors [--words=1000000] [--dim=300] [--gallery=2000000] [--queries=256]
//                      [--file=/tmp/zsl_bench_1M_300.vec] [--skip-load] [--skip-search]
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include "opencv2/zsl.hpp"
#include "search/cosine_search.hpp"
#include "io/process_memory.hpp" // the float path alone, as the peer of the quantized single-query path
#include "bench_data.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#include <sys/stat.h>
#include <time.h>

using namespace cv;
using namespace cv::zsl;

namespace {

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of the whole process (all threads): on a shared machine wall time mostly measures the
// neighbours; CPU time / 2 is what an idle 2-core machine would take.
double cpuNow()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

std::string loadAvg()
{
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

long long fileSize(const std::string& p)
{
    struct stat st;
    return stat(p.c_str(), &st) == 0 ? (long long)st.st_size : -1;
}

// fastText-like text: "count dim" header, 5 decimals per value (~8.5 bytes per value).
void generateText(const std::string& path, int words, int dim)
{
    std::ofstream f(path + ".tmp", std::ios::binary);
    f << words << " " << dim << "\n";
    cv::RNG rng(1);
    std::vector<float> v(dim);
    std::string line;
    char num[32];
    for (int i = 0; i < words; i++)
    {
        line = "w" + std::to_string(i);
        rng.fill(v, cv::RNG::NORMAL, 0, 0.3);
        for (int j = 0; j < dim; j++)
        {
            auto r = std::to_chars(num, num + sizeof(num), v[j], std::chars_format::fixed, 5);
            line += ' ';
            line.append(num, r.ptr);
        }
        line += '\n';
        f.write(line.data(), (std::streamsize)line.size());
    }
    f.close();
    std::rename((path + ".tmp").c_str(), path.c_str());
}

// Peer: the classic loader loop (std::ifstream >> word >> floats), on the first `lines` lines.
double istreamMBps(const std::string& path, int lines, int dim)
{
    const double t0 = cpuNow(); // single-threaded: CPU time is its idle wall time
    std::ifstream f(path);
    std::string header;
    std::getline(f, header);
    std::string w;
    std::vector<float> v((size_t)lines * dim);
    long long bytes0 = (long long)f.tellg();
    for (int i = 0; i < lines; i++)
    {
        f >> w;
        for (int j = 0; j < dim; j++)
            f >> v[(size_t)i * dim + j];
    }
    const long long bytes = (long long)f.tellg() - bytes0;
    return bytes / 1e6 / (cpuNow() - t0);
}

void benchLoad(const std::string& path, int words, int dim)
{
    if (fileSize(path) <= 0)
    {
        std::cout << "generating " << path << " (" << words << " x " << dim << ") ..." << std::endl;
        generateText(path, words, dim);
    }
    const double mb = fileSize(path) / 1e6;
    const double raw = (double)words * dim * 4 / 1e6;
    std::cout << "\n== loading " << path << ": " << mb << " MB text, raw floats " << raw << " MB ==" << std::endl;

    const long rss0 = cv::zsl::detail::procStatusKb("VmRSS");
    cv::zsl::detail::resetPeakResident();
    double t0 = now();
    double c0 = cpuNow();
    Ptr<WordVectors> wv = WordVectors::load(path);
    double t = now() - t0, ct = cpuNow() - c0;
    const long hwm = cv::zsl::detail::procStatusKb("VmHWM");
    std::cout << cv::format("WordVectors::load (full)   : %.2f s, %.0f MB/s (%.0f MB per CPU-second), %d x %d, peak RSS growth %.0f MB = %.3f x raw",
                            t, mb / t, mb / ct, wv->size(), wv->dims(), (hwm - rss0) / 1e3, (hwm - rss0) / 1e3 / raw) << std::endl;
    wv.release();

    std::vector<String> vocab;
    for (int i = 0; i < words; i += std::max(1, words / 1000))
        vocab.push_back("w" + std::to_string(i));
    WordVectorsLoadOptions o;
    o.vocabulary = vocab;
    const long rss1 = cv::zsl::detail::procStatusKb("VmRSS");
    cv::zsl::detail::resetPeakResident();
    t0 = now();
    wv = WordVectors::load(path, o);
    t = now() - t0;
    const long hwm1 = cv::zsl::detail::procStatusKb("VmHWM");
    std::cout << cv::format("WordVectors::load (%zu words kept): %.2f s, %.0f MB/s, peak RSS growth %.1f MB (kept floats %.1f MB)",
                            vocab.size(), t, mb / t, (hwm1 - rss1) / 1e3, wv->size() * (double)dim * 4 / 1e6) << std::endl;
    wv.release();

    const int peerLines = std::min(words, 50000);
    const double peer = istreamMBps(path, peerLines, dim);
    std::cout << cv::format("peer std::ifstream >> float  : %.1f MB per CPU-second (first %d lines)", peer, peerLines) << std::endl;
}

void benchSearch(int n, int dim, int nq, const std::vector<int>& algorithms, int rerank, int pcaDims)
{
    std::cout << "\n== gallery of " << n << " x " << dim << " (embedding-like clusters), " << nq << " queries ==" << std::endl;
    double t0 = now();
    Ptr<GalleryIndex> g;
    {
        Mat x = zsl_bench::embeddingLike(n, dim, 1);
        std::cout << cv::format("generate: %.1f s", now() - t0) << std::endl;
        t0 = now();
        g = GalleryIndex::create(x);
        std::cout << cv::format("GalleryIndex::create (normalise, one copy): %.2f s", now() - t0) << std::endl;
    }
    // Queries: perturbed gallery items (a new photo of a known kind of thing).
    Mat q = zsl_bench::embeddingLike(nq, dim, 2);

    Mat exact, esim;
    t0 = now();
    const double c0 = cpuNow();
    g->search(q, 10, exact, esim);
    const double tBatch = now() - t0, cBatch = cpuNow() - c0;
    // Single queries: the first one builds the 4-bit codes (once per gallery), the next ones
    // stream only the codes. Peer: the float path for the same single queries (one gemv sweep).
    Mat i1, s1;
    t0 = now();
    g->search(q.row(0), 10, i1, s1);
    const double tFirst = now() - t0;
    std::vector<double> singles, floats;
    int same = 0, sameScores = 0;
    const int nSingle = std::min(nq, 50);
    for (int r = 0; r < nSingle; r++)
    {
        t0 = now();
        g->search(q.row(r), 10, i1, s1);
        singles.push_back(now() - t0);
        same += cv::norm(i1, exact.row(r), NORM_INF) == 0 ? 1 : 0;
        sameScores += cv::norm(s1, esim.row(r), NORM_INF) <= 1e-6 ? 1 : 0;
    }
    for (int r = 0; r < 5; r++)
    {
        Mat qn = q.row(r) / cv::norm(q.row(r)), fi, fs;
        t0 = now();
        cv::zsl::detail::exactTopK(qn, g->getVectors(), std::vector<float>(), 10, fi, fs);
        floats.push_back(now() - t0);
    }
    std::sort(singles.begin(), singles.end());
    std::sort(floats.begin(), floats.end());
    const double med = singles[singles.size() / 2], medFloat = floats[2];
    std::cout << cv::format("exact, batch of %d: %.3f s = %.2f ms/query amortised (CPU %.2f ms/query)",
                            nq, tBatch, tBatch * 1e3 / nq, cBatch * 1e3 / nq) << std::endl;
    std::cout << cv::format("exact, single query (4-bit certified pre-filter, kernel %s): median %.1f ms, p90 %.1f ms over %d; "
                            "first query (builds the codes) %.0f ms; same top-10 rows as the batch %d/%d, scores within 1e-6 %d/%d",
                            cv::zsl::detail::QuantizedRows::kernelName(), med * 1e3, singles[singles.size() * 9 / 10] * 1e3, nSingle,
                            tFirst * 1e3, same, nSingle, sameScores, nSingle) << std::endl;
    std::cout << cv::format("peer: float path, single query (one sweep of the float gallery), median of 5: %.1f ms; ratio float/4-bit %.1fx",
                            medFloat * 1e3, medFloat / med) << std::endl;

    // Peer: cv::gemm over the whole gallery in tiles + partial_sort, on 16 queries.
    {
        const int pq = std::min(nq, 16), tile = 65536;
        Mat qn = q.rowRange(0, pq).clone();
        for (int i = 0; i < pq; i++)
            qn.row(i) /= cv::norm(qn.row(i));
        Mat gv = g->getVectors(), S(pq, n, CV_32F), tileS;
        t0 = now();
        for (int s = 0; s < n; s += tile)
        {
            const int e = std::min(n, s + tile);
            cv::gemm(qn, gv.rowRange(s, e), 1.0, noArray(), 0.0, tileS, GEMM_2_T);
            tileS.copyTo(S.colRange(s, e));
        }
        std::vector<int> order(n);
        int agree = 0;
        for (int i = 0; i < pq; i++)
        {
            for (int j = 0; j < n; j++) order[j] = j;
            const float* srow = S.ptr<float>(i);
            std::partial_sort(order.begin(), order.begin() + 10, order.end(),
                              [&](int a, int b) { return srow[a] > srow[b] || (srow[a] == srow[b] && a < b); });
            agree += std::equal(order.begin(), order.begin() + 10, exact.ptr<int>(i)) ? 1 : 0;
        }
        const double tp = now() - t0;
        std::cout << cv::format("peer cv::gemm + partial_sort, %d queries: %.2f ms/query (same top-10 as ours: %d/%d)",
                                pq, tp * 1e3 / pq, agree, pq) << std::endl;
    }

    for (int algorithm : algorithms)
    {
        GalleryANNParams p;
        p.algorithm = algorithm;
        p.rerank = rerank;
        p.pcaDims = pcaDims;
        t0 = now();
        const long rss0 = cv::zsl::detail::procStatusKb("VmRSS");
        g->buildApproximate(p);
        std::cout << cv::format("\nFLANN %s on %d PCA dims, rerank x%d: build %.1f s, RSS +%.0f MB",
                                algorithm == GalleryIndex::ANN_KDTREE ? "kd-trees(4)" : "k-means(32)", p.pcaDims, p.rerank,
                                now() - t0, (cv::zsl::detail::procStatusKb("VmRSS") - rss0) / 1e3) << std::endl;
        for (int checks : {32, 64, 128, 256, 512, 1024, 2048})
        {
            g->setChecks(checks);
            Mat approx, asim;
            t0 = now();
            const double c1 = cpuNow();
            g->search(q, 10, approx, asim, GalleryIndex::SEARCH_APPROXIMATE);
            const double tb = now() - t0, cb = cpuNow() - c1;
            t0 = now();
            g->search(q.row(0), 10, i1, s1, GalleryIndex::SEARCH_APPROXIMATE);
            const double ts = now() - t0;
            std::cout << cv::format("  checks %5d: recall@10 %.4f, batch %.3f ms/query (CPU %.3f ms/query), single %.2f ms",
                                    checks, recallAtK(approx, exact), tb * 1e3 / nq, cb * 1e3 / nq, ts * 1e3) << std::endl;
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{help h    |        | print this help}"
        "{words     | 1000000| words in the generated text file}"
        "{dim       | 300    | vector dimension}"
        "{gallery   | 2000000| gallery vectors for the search benchmark}"
        "{queries   | 256    | queries (one batch)}"
        "{file      | /tmp/zsl_bench_1M_300.vec | generated text file (kept for re-runs; not in git)}"
        "{skip-load |        | skip the loading benchmark}"
        "{skip-search |      | skip the search benchmark}"
        "{rerank    | 4      | GalleryANNParams::rerank}"
        "{pca       | 32     | GalleryANNParams::pcaDims}"
        "{ann       | kdtree | FLANN structures to measure: kdtree, kmeans or kdtree,kmeans (k-means builds are slow)}";
    CommandLineParser parser(argc, argv, keys);
    parser.about("opencv_zsl word-vector and gallery-search benchmark");
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    std::cout << "threads: " << cv::getNumThreads() << ", load average: " << loadAvg() << std::endl;
    try
    {
        if (!parser.has("skip-load"))
            benchLoad(parser.get<String>("file"), parser.get<int>("words"), parser.get<int>("dim"));
        if (!parser.has("skip-search"))
        {
            std::vector<int> algorithms;
            const String ann = parser.get<String>("ann");
            if (ann.find("kdtree") != String::npos) algorithms.push_back(GalleryIndex::ANN_KDTREE);
            if (ann.find("kmeans") != String::npos) algorithms.push_back(GalleryIndex::ANN_KMEANS);
            benchSearch(parser.get<int>("gallery"), parser.get<int>("dim"), parser.get<int>("queries"), algorithms,
                        parser.get<int>("rerank"), parser.get<int>("pca"));
        }
    }
    catch (const cv::Exception& e)
    {
        std::cerr << e.what() << std::endl;
        return 1;
    }
    std::cout << "\nload average at the end: " << loadAvg() << std::endl;
    return 0;
}
