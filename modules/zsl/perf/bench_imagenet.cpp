// This file is part of the opencv_zsl module (cv::zsl).
// Benchmark (a program, not a test): ImageNet-21K zero-shot labelling of one image beyond the backbone's
// forward pass (what zsl_imagenet does per image: ConSE combination of the 1K softmax, cosine top-k over
// the candidate synset prototypes), the memory of the prototype matrix, and the WordNet load time.
// Peers measured in the same run, interleaved rounds, medians and ratios:
//   labelling:   bare code: std::partial_sort of the 1K probabilities, a hand-written convex combination,
//                OpenBLAS sgemv of the L2-normalised prototype matrix, std::partial_sort of the scores;
//   WordNet:     std::getline + std::istringstream over data.noun collecting the same hypernym pointers.
//
//   bench_imagenet [--candidates=20841] [--dim=300] [--top=5] [--conse-t=10] [--rounds=31] [--threads=2]
//                  [--wordnet=/usr/share/wordnet/data.noun] [--wordnet-rounds=5]
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include "opencv2/zsl.hpp"
#include "io/process_memory.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#ifdef ZSL_HAVE_BLAS
extern "C" void sgemv_(const char* trans, const int* m, const int* n, const float* alpha, const float* a, const int* lda,
                       const float* x, const int* incx, const float* beta, float* y, const int* incy);
#endif

using namespace cv;
using namespace cv::zsl;

namespace {

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::string loadAvg()
{
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

//! The peer of the library path: every step written out by hand, the product through BLAS.
struct BarePeer
{
    const Mat& protos1k; // 1000 x D
    const Mat& cand;     // M x D, unit rows
    int T, k;
    std::vector<int> order;
    std::vector<float> emb, scores;
    std::vector<int> idx;

    void run(const float* p, std::vector<int>& top)
    {
        const int K = protos1k.rows, D = protos1k.cols, M = cand.rows;
        order.resize(K);
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + T, order.end(),
                          [p](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
        emb.assign(D, 0.f);
        double Z = 0;
        for (int t = 0; t < T; t++)
        {
            const float w = p[order[t]];
            Z += w;
            const float* s = protos1k.ptr<float>(order[t]);
            for (int d = 0; d < D; d++)
                emb[d] += w * s[d];
        }
        double n2 = 0;
        for (float v : emb)
            n2 += (double)v * v;
        const float inv = (float)(1.0 / std::sqrt(n2)); // cosine: the scale of emb (and Z) cancels in the ranking
        for (float& v : emb)
            v *= inv;
        scores.resize(M);
#ifdef ZSL_HAVE_BLAS
        const float one = 1.f, zero = 0.f;
        const int inc = 1;
        // Row-major M x D is column-major D x M: y = A^T x with A = D x M.
        sgemv_("T", &D, &M, &one, cand.ptr<float>(), &D, emb.data(), &inc, &zero, scores.data(), &inc);
#else
        Mat y(M, 1, CV_32F, scores.data());
        gemm(cand, Mat(D, 1, CV_32F, emb.data()), 1, noArray(), 0, y);
#endif
        (void)Z;
        idx.resize(M);
        std::iota(idx.begin(), idx.end(), 0);
        const float* s = scores.data();
        std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                          [s](int a, int b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
        top.assign(idx.begin(), idx.begin() + k);
    }
};

//! The WordNet peer: getline + istringstream, the same hypernym pointers ("@", "@i" to nouns) collected.
size_t parseWordNetNaive(const std::string& path, size_t& synsets)
{
    std::ifstream f(path);
    std::string line;
    std::unordered_map<std::string, std::vector<std::string>> parents;
    synsets = 0;
    size_t edges = 0;
    while (std::getline(f, line))
    {
        if (line.empty() || line[0] == ' ')
            continue;
        std::istringstream in(line.substr(0, line.find(" | ")));
        std::string off, lex, type, wcnt;
        in >> off >> lex >> type >> wcnt;
        const int w = std::stoi(wcnt, nullptr, 16);
        std::string word, lexid;
        for (int i = 0; i < w; i++)
            in >> word >> lexid;
        int pc = 0;
        in >> pc;
        std::vector<std::string>& ps = parents[off];
        for (int i = 0; i < pc; i++)
        {
            std::string sym, target, pos, st;
            in >> sym >> target >> pos >> st;
            if ((sym == "@" || sym == "@i") && pos == "n")
            {
                ps.push_back(target);
                edges++;
            }
        }
        synsets++;
    }
    return edges;
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{candidates     | 20841 | candidate synset prototypes (the 21K set minus the 1K training labels) }"
        "{dim            | 300   | prototype dimension (word2vec: 300) }"
        "{top            | 5     | labels per image }"
        "{conse-t        | 10    | ConSE T }"
        "{rounds         | 31    | interleaved rounds (medians reported) }"
        "{threads        | 2     | cv::setNumThreads }"
        "{wordnet        | /usr/share/wordnet/data.noun | WordNet data.noun ('' to skip) }"
        "{wordnet-rounds | 5     | WordNet load rounds }";
    CommandLineParser parser(argc, argv, keys);
    const int M = parser.get<int>("candidates"), D = parser.get<int>("dim"), k = parser.get<int>("top"),
              T = parser.get<int>("conse-t"), rounds = parser.get<int>("rounds"), threads = parser.get<int>("threads");
    const String wordnet = parser.get<String>("wordnet");
    const int wnRounds = parser.get<int>("wordnet-rounds");
    if (!parser.check() || M < k || D < 1 || k < 1 || T < 1 || rounds < 1 || wnRounds < 1)
    {
        parser.printErrors();
        std::fprintf(stderr, "bench_imagenet: bad arguments\n");
        return 2;
    }
    setNumThreads(threads);
    std::printf("bench_imagenet: %d candidates x %d-d, top-%d, ConSE T=%d, %d rounds, %d threads, load %s\n", M, D, k, T,
                rounds, threads, loadAvg().c_str());

    RNG rng(20261202);
    Mat protos1k(1000, D, CV_32F), cand(M, D, CV_32F), logits(1, 1000, CV_32F);
    rng.fill(protos1k, RNG::NORMAL, 0, 1);
    rng.fill(cand, RNG::NORMAL, 0, 1);
    rng.fill(logits, RNG::NORMAL, 0, 3);
    for (int i = 0; i < M; i++)
        normalize(cand.row(i), cand.row(i));
    Mat e, probs;
    exp(logits, e);
    probs = e / sum(e)[0];

    const long rss0 = cv::zsl::detail::procStatusKb("VmRSS");
    Ptr<GalleryIndex> index = GalleryIndex::create(cand);
    const long rss1 = cv::zsl::detail::procStatusKb("VmRSS");
    std::printf("  prototype matrix: %.1f MiB as CV_32F (%d x %d); resident growth of the index: %.1f MiB\n",
                (double)M * D * 4 / (1 << 20), M, D, (rss1 - rss0) / 1024.0);

    BarePeer peer{protos1k, cand, T, k, {}, {}, {}, {}};
    std::vector<double> tLib, tPeer;
    std::vector<int> topPeer;
    int mismatches = 0;
    Mat emb, idx, sim;
    for (int r = 0; r < rounds + 1; r++) // round 0 warms up (first-call allocations, quantized codes)
    {
        const double a = now();
        conseEmbedding(probs, protos1k, emb, T);
        index->search(emb, k, idx, sim);
        const double b = now();
        peer.run(probs.ptr<float>(), topPeer);
        const double c = now();
        if (r == 0)
            continue;
        tLib.push_back(b - a);
        tPeer.push_back(c - b);
        for (int j = 0; j < k; j++)
            mismatches += idx.at<int>(j) != topPeer[j];
    }
    const double ml = median(tLib), mp = median(tPeer);
    std::printf("  labelling one image (beyond the forward pass): cv::zsl %.3f ms, bare partial_sort+sgemv+partial_sort "
                "%.3f ms, ratio %.2fx; goal <= 5 ms; top-%d disagreements %d\n",
                ml * 1e3, mp * 1e3, ml / mp, k, mismatches);

    if (!wordnet.empty())
    {
        std::ifstream probe(wordnet);
        if (!probe.good())
            std::printf("  WordNet: %s not found, skipped\n", wordnet.c_str());
        else
        {
            std::vector<double> tw, tn;
            int synsets = 0;
            size_t naiveSynsets = 0, naiveEdges = 0;
            for (int r = 0; r < wnRounds; r++)
            {
                const double a = now();
                Ptr<ClassHierarchy> h = ClassHierarchy::loadWordNet(wordnet);
                const double b = now();
                naiveEdges = parseWordNetNaive(wordnet, naiveSynsets);
                const double c = now();
                synsets = h->size();
                tw.push_back(b - a);
                tn.push_back(c - b);
            }
            std::printf("  WordNet load (%d synsets): ClassHierarchy::loadWordNet %.1f ms (checked, DAG built), "
                        "getline+istringstream %.1f ms (%zu synsets, %zu hypernym pointers, unchecked), ratio %.2fx\n",
                        synsets, median(tw) * 1e3, median(tn) * 1e3, naiveSynsets, naiveEdges, median(tw) / median(tn));
        }
    }
    return 0;
}
