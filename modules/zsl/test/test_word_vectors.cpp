// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include "io/process_memory.hpp"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <filesystem>
#include <fstream>

namespace opencv_test {
namespace {

using namespace cv::zsl;
using zsltest::tempDir;
using zsltest::writeTextFile;

// Three words with values that are exact in float (binary fractions).
const char* kWords[] = {"zebra", "Horse", "shepherd"};
const float kVals[3][4] = {{1.f, 0.5f, -2.f, 0.25f}, {0.f, 1.5f, 3.f, -0.125f}, {-1.f, 2.f, 0.75f, 4.f}};

std::string textBody(const char* sep = " ")
{
    std::string s;
    for (int i = 0; i < 3; i++)
    {
        s += kWords[i];
        for (int j = 0; j < 4; j++)
            s += sep + cv::format("%g", kVals[i][j]);
        s += "\n";
    }
    return s;
}

void writeBinary(const std::string& path, const std::string& header, int entries, bool newlineAfterVector,
                 size_t truncateTo = std::string::npos)
{
    std::string data = header;
    for (int i = 0; i < entries; i++)
    {
        data += std::string(kWords[i]) + " ";
        data.append(reinterpret_cast<const char*>(kVals[i]), sizeof(kVals[i]));
        if (newlineAfterVector)
            data += "\n";
    }
    if (truncateTo != std::string::npos)
        data.resize(truncateTo);
    std::ofstream(path, std::ios::binary) << data;
}

void expectExact(const Ptr<WordVectors>& wv, bool folded = false)
{
    ASSERT_EQ(wv->size(), 3);
    ASSERT_EQ(wv->dims(), 4);
    for (int i = 0; i < 3; i++)
    {
        std::string w = kWords[i];
        if (folded)
            for (char& c : w) c = (char)std::tolower(c);
        EXPECT_EQ(wv->getWord(i), w);
        EXPECT_EQ(wv->indexOf(kWords[i]), i);
        for (int j = 0; j < 4; j++)
            EXPECT_EQ(wv->getVectors().at<float>(i, j), kVals[i][j]) << w << " " << j;
    }
}

template <typename F>
std::string errorOf(F f)
{
    try { f(); }
    catch (const cv::Exception& e) { return e.what(); }
    return std::string();
}

TEST(ZSL_WordVectors, text_with_header_exact)
{
    const std::string p = tempDir() + "/w.vec";
    writeTextFile(p, "3 4\n" + textBody());
    expectExact(WordVectors::load(p));
    WordVectorsLoadOptions o;
    o.format = WORDVEC_TEXT;
    expectExact(WordVectors::load(p, o));
}

TEST(ZSL_WordVectors, text_tabs_crlf_no_final_newline_plus_sign)
{
    const std::string p = tempDir() + "/w.vec";
    writeTextFile(p, "3 4\r\nzebra\t1 +0.5\t-2 0.25\r\n\r\nHorse 0 1.5 3 -0.125 \r\nshepherd -1 2 0.75 4");
    expectExact(WordVectors::load(p));
}

TEST(ZSL_WordVectors, glove_exact)
{
    const std::string p = tempDir() + "/glove.txt";
    writeTextFile(p, textBody());
    Ptr<WordVectors> wv = WordVectors::load(p);
    expectExact(wv);
    WordVectorsLoadOptions o;
    o.format = WORDVEC_GLOVE;
    expectExact(WordVectors::load(p, o));
}

TEST(ZSL_WordVectors, word2vec_binary_exact)
{
    const std::string dir = tempDir();
    writeBinary(dir + "/a.bin", "3 4\n", 3, true);
    expectExact(WordVectors::load(dir + "/a.bin"));
    writeBinary(dir + "/b.w2v", "3 4\n", 3, false); // no '\n' after vectors, explicit format
    WordVectorsLoadOptions o;
    o.format = WORDVEC_WORD2VEC_BINARY;
    expectExact(WordVectors::load(dir + "/b.w2v", o));
}

TEST(ZSL_WordVectors, save_round_trip_text_and_binary)
{
    cv::RNG rng(3);
    Mat v(50, 7, CV_32F);
    rng.fill(v, cv::RNG::NORMAL, 0, 1);
    std::vector<String> words;
    for (int i = 0; i < 50; i++)
        words.push_back(cv::format("w%d", i));
    Ptr<WordVectors> wv = WordVectors::create(words, v);
    const std::string dir = tempDir();
    wv->save(dir + "/r.vec", WORDVEC_TEXT);
    wv->save(dir + "/r.bin", WORDVEC_WORD2VEC_BINARY);
    for (const char* f : {"/r.vec", "/r.bin"})
    {
        Ptr<WordVectors> back = WordVectors::load(dir + f);
        EXPECT_EQ(back->getWords(), words);
        EXPECT_EQ(cv::norm(back->getVectors(), v, NORM_INF), 0.0) << f; // shortest round-trip text is exact
    }
}

TEST(ZSL_WordVectors, vocabulary_filter_case_folding_max_words)
{
    const std::string p = tempDir() + "/w.vec";
    writeTextFile(p, "4 4\n" + textBody() + "ZEBRA 9 9 9 9\n");
    WordVectorsLoadOptions o;
    o.vocabulary = {"german+shepherd", "zebra"}; // split like labels
    Ptr<WordVectors> wv = WordVectors::load(p, o);
    ASSERT_EQ(wv->size(), 2);
    EXPECT_EQ(wv->getWord(0), "zebra");
    EXPECT_EQ(wv->getWord(1), "shepherd");
    EXPECT_EQ(wv->getVectors().at<float>(1, 3), 4.f);
    EXPECT_EQ(wv->indexOf("horse"), -1);

    o.caseFold = true; // "ZEBRA" folds onto "zebra": the first one is kept
    o.vocabulary = {"HORSE", "Zebra"};
    wv = WordVectors::load(p, o);
    ASSERT_EQ(wv->size(), 2);
    EXPECT_EQ(wv->getWord(0), "zebra");
    EXPECT_EQ(wv->getVectors().at<float>(0, 0), 1.f);
    EXPECT_EQ(wv->indexOf("HoRsE"), 1);

    WordVectorsLoadOptions all;
    all.caseFold = true;
    expectExact(WordVectors::load(p, all), true);

    WordVectorsLoadOptions lim;
    lim.maxWords = 2;
    wv = WordVectors::load(p, lim);
    EXPECT_EQ(wv->size(), 2);
    EXPECT_EQ(wv->getWord(1), "Horse");
}

TEST(ZSL_WordVectors, malformed_lines_report_file_and_line)
{
    const std::string dir = tempDir();
    struct Case { const char* name; std::string content; const char* expect; };
    const std::vector<Case> cases = {
        {"short.vec", "3 4\nzebra 1 2 3 4\nhorse 1 2 3\nshepherd 1 2 3 4\n", ":3: 3 values, expected 4"},
        {"long.vec", "3 4\nzebra 1 2 3 4\nhorse 1 2 3 4 5\nshepherd 1 2 3 4\n", ":3: more than 4 values"},
        {"nan.vec", "3 4\nzebra 1 2 3 4\nhorse 1 2 nan 4\nshepherd 1 2 3 4\n", ":3: value 3 is not finite"},
        {"text.vec", "3 4\nzebra 1 2 3 4\nhorse 1 2 3 4\nshepherd 1 x 3 4\n", ":4: value 2 ('x')"},
        {"huge.vec", "3 4\nzebra 1 2 3 1e99\nhorse 1 2 3 4\nshepherd 1 2 3 4\n", ":2: value 4 ('1e99')"},
        {"trunc.vec", "3 4\nzebra 1 2 3 4\nhorse 1 2 3 4\nshep", ":4: 0 values, expected 4"},
        {"fewer.vec", "5 4\nzebra 1 2 3 4\nhorse 1 2 3 4\nshepherd 1 2 3 4\n", "truncated: the header announces 5 words, the file has 3"},
        {"more.vec", "2 4\nzebra 1 2 3 4\nhorse 1 2 3 4\nshepherd 1 2 3 4\n", ":4: more words than the 2 announced"},
        {"badheader.vec", "3 x\nzebra 1 2 3 4\n", ":1: expected a \"count dim\" header"},
        {"glove_ragged.txt", "zebra 1 2 3 4\nhorse 1 2 3\n", ":2: 3 values, expected 4"},
        {"empty.txt", "", "no word vectors found"},
        {"wordonly.txt", "zebra\n", ":1: the first line has a word but no values"},
    };
    for (const Case& c : cases)
    {
        const std::string p = dir + "/" + c.name;
        writeTextFile(p, c.content);
        WordVectorsLoadOptions o;
        o.format = std::string(c.name).find(".txt") != std::string::npos ? WORDVEC_GLOVE : WORDVEC_TEXT;
        const std::string err = errorOf([&] { WordVectors::load(p, o); });
        EXPECT_NE(err.find(p), std::string::npos) << c.name << ": " << err;
        EXPECT_NE(err.find(c.expect), std::string::npos) << c.name << ": " << err;
    }
    EXPECT_THROW(WordVectors::load(dir + "/does_not_exist.vec"), cv::Exception);
}

TEST(ZSL_WordVectors, hostile_headers_rejected_before_allocation)
{
    const std::string dir = tempDir();
    // Claims 10^12 words or dims: must be refused from the header, not by running out of memory.
    writeTextFile(dir + "/h1.vec", "1000000000000 300\nzebra 1 2 3\n");
    writeTextFile(dir + "/h2.vec", "3 1000000000000\nzebra 1 2 3\n");
    writeTextFile(dir + "/h3.vec", "2000000 300\nzebra 1 2 3\n"); // plausible numbers, file far too small
    writeTextFile(dir + "/h4.vec", "-3 4\nzebra 1 2 3 4\n");
    for (const char* f : {"/h1.vec", "/h2.vec", "/h3.vec", "/h4.vec"})
    {
        const std::string err = errorOf([&] { WordVectors::load(dir + f); });
        EXPECT_NE(err.find(":1:"), std::string::npos) << f << ": " << err;
    }
    writeBinary(dir + "/h5.bin", "1000000000000 1000000000000\n", 3, true);
    writeBinary(dir + "/h6.bin", "100000 4\n", 3, true);
    for (const char* f : {"/h5.bin", "/h6.bin"})
    {
        const std::string err = errorOf([&] { WordVectors::load(dir + f); });
        EXPECT_NE(err.find("hostile or wrong header"), std::string::npos) << f << ": " << err;
    }
}

TEST(ZSL_WordVectors, truncated_binary)
{
    const std::string dir = tempDir();
    const size_t full = 4 + 3 * (4 * 4 + 1) + 5 + 5 + 8 + 3; // header + vectors/newlines + words + spaces
    writeBinary(dir + "/t1.bin", "3 4\n", 3, true, full - 5); // inside the last vector
    std::string err = errorOf([&] { WordVectors::load(dir + "/t1.bin"); });
    EXPECT_NE(err.find("entry 3: truncated vector of 'shepherd'"), std::string::npos) << err;
    writeBinary(dir + "/t2.bin", "3 4\n", 2, true); // an entry missing altogether (header sizes still fit)
    std::ofstream(dir + "/t2.bin", std::ios::app) << std::string(40, '\n');
    err = errorOf([&] { WordVectors::load(dir + "/t2.bin"); });
    EXPECT_NE(err.find("entry 3: truncated"), std::string::npos) << err;
}

TEST(ZSL_WordVectors, multiword_labels_average_exactly)
{
    EXPECT_EQ(WordVectors::splitLabel("german+shepherd"), std::vector<String>({"german", "shepherd"}));
    EXPECT_EQ(WordVectors::splitLabel("killer_whale"), std::vector<String>({"killer", "whale"}));
    EXPECT_EQ(WordVectors::splitLabel(" sea  lion "), std::vector<String>({"sea", "lion"}));
    Mat v = (Mat_<float>(5, 2) << 1, 2, 3, 6, -1, 0.5f, 7, 7, 0, 4);
    Ptr<WordVectors> wv = WordVectors::create({"german", "shepherd", "killer", "whale", "sea"}, v);
    Mat out;
    wv->lookup({"german+shepherd", "killer_whale", "sea", "sea whale+german"}, out);
    Mat expect = (Mat_<float>(4, 2) << 2, 4, 3, 3.75f, 0, 4, 8.f / 3, 13.f / 3);
    EXPECT_LE(cv::norm(out, expect, NORM_INF), 1e-6);
    EXPECT_EQ(out.at<float>(0, 0), 2.f); // (1 + 3) / 2 exactly

    ClassPrototypes p = wv->prototypes({"german+shepherd", "sea"}, OOV_ERROR, PROTOTYPE_NORM_NONE);
    EXPECT_EQ(p.names, std::vector<String>({"german+shepherd", "sea"}));
    EXPECT_EQ(p.vectors.at<float>(0, 1), 4.f);
    ClassPrototypes pn = wv->prototypes({"german+shepherd"});
    EXPECT_NEAR(pn.vectors.at<float>(0, 0), 2 / std::sqrt(20.f), 1e-6);
}

TEST(ZSL_WordVectors, oov_error_lists_every_missing_word)
{
    Mat v = (Mat_<float>(2, 2) << 1, 0, 0, 1);
    Ptr<WordVectors> wv = WordVectors::create({"sea", "lion"}, v);
    const std::vector<String> labels = {"sea+lion", "sea+otter", "grizzly_bear", "lion"};
    const std::string err = errorOf([&] { Mat o; wv->lookup(labels, o); });
    for (const char* w : {"otter", "grizzly", "bear"})
        EXPECT_NE(err.find(w), std::string::npos) << err;
    EXPECT_EQ(wv->missingWords(labels), std::vector<String>({"otter", "grizzly", "bear"}));
    EXPECT_THROW(wv->prototypes(labels), cv::Exception);

    // Skip policy: known words only; grizzly_bear has none and still fails, naming it.
    const std::string err2 = errorOf([&] { Mat o; wv->lookup(labels, o, OOV_SKIP_WORDS); });
    EXPECT_NE(err2.find("labels without any known word: grizzly_bear"), std::string::npos) << err2;
    Mat o;
    wv->lookup({"sea+otter", "lion"}, o, OOV_SKIP_WORDS);
    EXPECT_EQ(o.at<float>(0, 0), 1.f);
    EXPECT_EQ(o.at<float>(0, 1), 0.f);
}

TEST(ZSL_WordVectors, case_folding_queries_and_create_errors)
{
    Mat v = (Mat_<float>(2, 2) << 1, 0, 0, 1);
    Ptr<WordVectors> wv = WordVectors::create({"Zebra", "horse"}, v, true);
    EXPECT_EQ(wv->getWord(0), "zebra");
    EXPECT_EQ(wv->indexOf("ZEBRA"), 0);
    EXPECT_THROW(WordVectors::create({"a", "A"}, v, true), cv::Exception);          // duplicate after folding
    EXPECT_THROW(WordVectors::create({"a", "b c"}, v), cv::Exception);              // whitespace
    EXPECT_THROW(WordVectors::create({"a"}, v), cv::Exception);                     // size mismatch
    Mat bad = v.clone();
    bad.at<float>(1, 1) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(WordVectors::create({"a", "b"}, bad), cv::Exception);
    EXPECT_THROW(wv->getWord(2), cv::Exception);
}

TEST(ZSL_WordVectors, nearest_words_equal_brute_force)
{
    cv::RNG rng(11);
    Mat v(3000, 24, CV_32F), q(17, 24, CV_32F);
    rng.fill(v, cv::RNG::NORMAL, 0, 1);
    rng.fill(q, cv::RNG::NORMAL, 0, 1);
    v.row(5) *= 10; // cosine, not dot product: the long vector must not win by length
    std::vector<String> words;
    for (int i = 0; i < v.rows; i++)
        words.push_back(cv::format("w%d", i));
    Ptr<WordVectors> wv = WordVectors::create(words, v);
    Mat idx, sim;
    wv->nearestWords(q, 5, idx, sim);
    ASSERT_EQ(idx.size(), Size(5, 17));
    for (int i = 0; i < q.rows; i++)
    {
        std::vector<std::pair<double, int>> all;
        for (int j = 0; j < v.rows; j++)
            all.emplace_back(-q.row(i).dot(v.row(j)) / (cv::norm(q.row(i)) * cv::norm(v.row(j))), j);
        std::sort(all.begin(), all.end());
        for (int r = 0; r < 5; r++)
        {
            EXPECT_EQ(idx.at<int>(i, r), all[r].second) << i << " " << r;
            EXPECT_NEAR(sim.at<float>(i, r), -all[r].first, 1e-5);
        }
    }
    EXPECT_THROW(wv->nearestWords(Mat::ones(1, 3, CV_32F), 5, idx, sim), cv::Exception); // wrong dims
}

TEST(ZSL_WordVectors, committed_dictionary_vectors_are_sensible)
{
    const std::string p = zsltest::repoDataPath("wordvec/dict_fasttext_100d_subset.vec");
    if (p.empty() || !std::ifstream(p).good())
        GTEST_SKIP() << "data/wordvec subset missing (tools/make_word_vectors.sh)";
    Ptr<WordVectors> wv = WordVectors::load(p);
    EXPECT_EQ(wv->dims(), 100);
    // The AwA2 class names (bobcat included since the WordNet lines list hyponyms) and the
    // Fashion-MNIST class names are covered; a word outside the subset is reported.
    EXPECT_EQ(wv->missingWords({"antelope", "grizzly+bear", "killer+whale", "german+shepherd", "zebra", "bobcat",
                                "giant+panda", "spider+monkey", "t+shirt", "pullover", "sneaker", "ankle+boot"}).size(), 0u);
    EXPECT_EQ(wv->missingWords({"quagga"}), std::vector<String>({"quagga"}));
    // Related pairs beat unrelated ones by a margin (values of the committed vectors in doc/word_vectors.md).
    const char* rel[][3] = {{"zebra", "striped", "trouser"},       {"sneaker", "shoe", "whale"},
                            {"sneaker", "sandal", "antelope"},     {"shoe", "boot", "dolphin"},
                            {"dolphin", "whale", "trouser"},       {"german+shepherd", "collie", "sandal"},
                            {"persian+cat", "siamese+cat", "dress"}, {"t+shirt", "pullover", "hippopotamus"},
                            {"blue+whale", "killer+whale", "german+shepherd"}, {"tiger", "leopard", "sandal"}};
    for (const auto& r : rel)
    {
        ClassPrototypes p = wv->prototypes({r[0], r[1], r[2]});
        const float related = p.vectors.row(0).dot(p.vectors.row(1));
        const float unrelated = p.vectors.row(0).dot(p.vectors.row(2));
        EXPECT_GT(related, unrelated + 0.15f) << r[0] << " ~ " << r[1] << " vs " << r[2];
    }
}

}} // namespace

namespace opencv_test {
namespace {

// Resource bound of the loader: a 2 GB text file (1 GB of floats) loaded with a vocabulary filter of
// 1,000 words grows the resident set by about the filtered size (1.2 MB) plus the reader's buffers,
// not by the file. ZSL_BIG_WORDVEC_MB changes the size (0 skips).
TEST(ZSL_WordVectors, filtered_load_of_2GB_file_keeps_memory_near_filtered_size)
{
    const char* env = getenv("ZSL_BIG_WORDVEC_MB");
    const double targetMb = env ? atof(env) : 2048.0;
    if (targetMb <= 0)
        GTEST_SKIP() << "ZSL_BIG_WORDVEC_MB=0";
    // The peak resident set is reset through /proc/self/clear_refs (Linux >= 4.0).
    if (!cv::zsl::detail::resetPeakResident() || cv::zsl::detail::procStatusKb("VmHWM") < 0)
        GTEST_SKIP() << "/proc/self/clear_refs or VmHWM unavailable";

    const int dim = 300;
    cv::RNG rng(7);
    // One body of values per 64 words keeps generation fast; word i uses body i % 64.
    std::vector<std::string> bodies(64);
    for (std::string& b : bodies)
        for (int j = 0; j < dim; j++)
            b += cv::format(" %.5f", rng.uniform(-1.f, 1.f));
    const size_t lineBytes = bodies[0].size() + 9;
    const int count = (int)(targetMb * 1048576.0 / lineBytes);
    const std::string path = tempDir() + "/big.vec";
    std::error_code ec;
    const std::filesystem::space_info space = std::filesystem::space(tempDir(), ec);
    if (!ec && (double)space.available < (targetMb + 1024) * 1048576.0)
        GTEST_SKIP() << "less than " << targetMb + 1024 << " MB free beside " << path;
    {
        std::ofstream f(path, std::ios::binary);
        f << count << " " << dim << "\n";
        for (int i = 0; i < count; i++)
            f << cv::format("w%07d", i) << bodies[i % 64] << "\n";
        ASSERT_TRUE(f.good()) << "cannot write " << targetMb << " MB to " << path;
    }
    WordVectorsLoadOptions opt;
    const int kept = 1000;
    for (int i = 0; i < kept; i++)
        opt.vocabulary.push_back(cv::format("w%07d", (int)((int64)i * count / kept)));

    cv::zsl::detail::resetPeakResident();
    const long before = cv::zsl::detail::procStatusKb("VmRSS");
    const double t0 = (double)cv::getTickCount();
    Ptr<WordVectors> wv = WordVectors::load(path, opt);
    const double seconds = ((double)cv::getTickCount() - t0) / cv::getTickFrequency();
    const long growthKb = cv::zsl::detail::procStatusKb("VmHWM") - before;
    std::remove(path.c_str());

    ASSERT_EQ(wv->size(), kept);
    const double fileMb = (double)lineBytes * count / 1048576.0, rawMb = (double)count * dim * 4 / 1048576.0;
    std::cout << cv::format("[ INFO     ] %.0f MB file (%d x %d, %.0f MB of floats) filtered to %d words (%.2f MB): "
                            "peak resident growth %.1f MB, %.1f s (%.0f MB/s)",
                            fileMb, count, dim, rawMb, kept, kept * dim * 4 / 1048576.0, growthKb / 1024.0,
                            seconds, fileMb / seconds) << std::endl;
    // Kept rows hold exactly their file values.
    for (int i : { 0, 1, kept - 1 })
    {
        const int w = (int)((int64)i * count / kept);
        std::istringstream values(bodies[w % 64]);
        Mat row = wv->getVectors().row(wv->indexOf(cv::format("w%07d", w)));
        for (int j = 0; j < dim; j++)
        {
            float v;
            values >> v;
            ASSERT_EQ(row.at<float>(j), v) << "word " << w << " value " << j;
        }
    }
    // The reader's buffers (16 MB blocks, parsed values of one block) and the filter, not the file:
    // at most 64 MB against 1 GB of floats that an unfiltered load would keep.
    EXPECT_LT(growthKb, 64 * 1024) << "of a " << rawMb << " MB unfiltered size";
}

}} // namespace opencv_test
