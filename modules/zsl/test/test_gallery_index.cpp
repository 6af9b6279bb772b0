// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <opencv2/opencv_modules.hpp>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

namespace opencv_test {
namespace {

using namespace cv::zsl;
using zsltest::tempDir;
using zsltest::clustered;
using zsltest::embeddingLike;

void bruteForce(const Mat& gallery, const Mat& queries, int k, Mat& idx, Mat& sim)
{
    idx.create(queries.rows, k, CV_32S);
    sim.create(queries.rows, k, CV_32F);
    for (int i = 0; i < queries.rows; i++)
    {
        std::vector<std::pair<double, int>> all;
        const double qn = cv::norm(queries.row(i));
        for (int j = 0; j < gallery.rows; j++)
            all.emplace_back(-queries.row(i).dot(gallery.row(j)) / (qn * cv::norm(gallery.row(j))), j);
        std::partial_sort(all.begin(), all.begin() + k, all.end());
        for (int r = 0; r < k; r++)
        {
            idx.at<int>(i, r) = all[r].second;
            sim.at<float>(i, r) = (float)-all[r].first;
        }
    }
}

TEST(ZSL_GalleryIndex, exact_search_equals_brute_force)
{
    // More rows than one search block (8192) so that the block merge is exercised.
    Mat g = clustered(20000, 16, 40, 0.5, 1), q = clustered(37, 16, 40, 0.5, 2);
    g.row(123) *= 50; // cosine: length must not matter
    Ptr<GalleryIndex> index = GalleryIndex::create(g);
    EXPECT_EQ(index->size(), 20000);
    EXPECT_EQ(index->dims(), 16);
    Mat idx, sim, bidx, bsim;
    index->search(q, 10, idx, sim);
    bruteForce(g, q, 10, bidx, bsim);
    ASSERT_EQ(idx.size(), Size(10, 37));
    EXPECT_EQ(cv::norm(idx, bidx, NORM_INF), 0);
    EXPECT_LE(cv::norm(sim, bsim, NORM_INF), 1e-5);
    // A gallery item is its own nearest neighbour with similarity 1.
    index->search(g.row(123), 1, idx, sim);
    EXPECT_EQ(idx.at<int>(0, 0), 123);
    EXPECT_NEAR(sim.at<float>(0, 0), 1.f, 1e-5);
    // k larger than the gallery is clamped.
    Ptr<GalleryIndex> small = GalleryIndex::create(g.rowRange(0, 3));
    small->search(q.row(0), 10, idx, sim);
    EXPECT_EQ(idx.cols, 3);
}

TEST(ZSL_GalleryIndex, bad_input)
{
    Mat g = clustered(100, 8, 4, 0.3, 3);
    EXPECT_THROW(GalleryIndex::create(Mat()), cv::Exception);
    EXPECT_THROW(GalleryIndex::create(g, std::vector<String>(3, "x")), cv::Exception);
    Mat nan = g.clone();
    nan.at<float>(7, 2) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(GalleryIndex::create(nan), cv::Exception);
    Ptr<GalleryIndex> index = GalleryIndex::create(g);
    Mat idx, sim;
    EXPECT_THROW(index->search(Mat::ones(1, 5, CV_32F), 3, idx, sim), cv::Exception);
    EXPECT_THROW(index->search(g.row(0), 0, idx, sim), cv::Exception);
    EXPECT_THROW(index->search(g.row(0), 3, idx, sim, GalleryIndex::SEARCH_APPROXIMATE), cv::Exception); // not built
    EXPECT_THROW(index->search(g.row(0), 3, idx, sim, 7), cv::Exception);
    GalleryANNParams p;
    p.algorithm = 5;
    EXPECT_THROW(index->buildApproximate(p), cv::Exception);
}

TEST(ZSL_GalleryIndex, add_appends_ids_and_rows)
{
    Mat g = clustered(50, 8, 4, 0.3, 4);
    Ptr<GalleryIndex> index = GalleryIndex::create(g.rowRange(0, 30), std::vector<String>(30, "a"));
    index->add(g.rowRange(30, 50));
    ASSERT_EQ(index->size(), 50);
    EXPECT_EQ(index->getIds()[30], "30");
    Mat idx, sim;
    index->search(g.row(42), 1, idx, sim);
    EXPECT_EQ(idx.at<int>(0, 0), 42);
}

#ifdef HAVE_OPENCV_FLANN
TEST(ZSL_GalleryIndex, approximate_recall_at_10)
{
    Mat g = embeddingLike(20000, 64, 50, 6, 5), q = embeddingLike(200, 64, 50, 6, 6);
    Ptr<GalleryIndex> index = GalleryIndex::create(g);
    Mat exact, esim;
    index->search(q, 10, exact, esim);
    for (int algorithm : {GalleryIndex::ANN_KMEANS, GalleryIndex::ANN_KDTREE})
    {
        GalleryANNParams p;
        p.algorithm = algorithm;
        p.checks = 128; // well below the default, so that the threshold means something at this size
        index->buildApproximate(p);
        ASSERT_TRUE(index->hasApproximate());
        Mat approx, asim;
        index->search(q, 10, approx, asim, GalleryIndex::SEARCH_APPROXIMATE);
        const double recall = recallAtK(approx, exact);
        std::cout << "    [ INFO ] algorithm " << algorithm << " checks " << p.checks << ": recall@10 = " << recall << std::endl;
        EXPECT_GE(recall, 0.95) << "algorithm " << algorithm;
        // Similarities of the approximate hits are true cosines (to float rounding of |a-b|^2).
        Mat first = approx.col(0).clone(), firstSim = asim.col(0).clone();
        for (int i = 0; i < q.rows; i++)
        {
            const int j = first.at<int>(i);
            ASSERT_GE(j, 0);
            const double c = q.row(i).dot(g.row(j)) / (cv::norm(q.row(i)) * cv::norm(g.row(j)));
            EXPECT_NEAR(firstSim.at<float>(i), c, 1e-4);
        }
        // Fewer checks: recall may only drop.
        index->setChecks(16);
        index->search(q, 10, approx, asim, GalleryIndex::SEARCH_APPROXIMATE);
        EXPECT_LE(recallAtK(approx, exact), recall + 1e-9);
    }
}
#endif

TEST(ZSL_GalleryIndex, recall_at_k_closed_form)
{
    Mat a = (Mat_<int>(2, 3) << 1, 2, 3, 4, 5, 6), e = (Mat_<int>(2, 3) << 3, 2, 9, 7, 8, 4);
    EXPECT_DOUBLE_EQ(recallAtK(a, e), (2.0 / 3 + 1.0 / 3) / 2);
    EXPECT_THROW(recallAtK(a, e.colRange(0, 2)), cv::Exception);
}

TEST(ZSL_GalleryIndex, save_load_round_trip)
{
    Mat g = clustered(3000, 12, 20, 0.4, 7), q = clustered(25, 12, 20, 0.4, 8);
    std::vector<String> ids;
    for (int i = 0; i < g.rows; i++)
        ids.push_back(cv::format("img_%04d.jpg", i));
    ids[5] = ""; // empty ids survive too
    Ptr<GalleryIndex> index = GalleryIndex::create(g, ids);
    const std::string dir = tempDir();
    index->save(dir + "/plain.zslidx");
#ifdef HAVE_OPENCV_FLANN
    GalleryANNParams p;
    p.checks = 64;
    p.pcaDims = 6; // exercise the saved projection too
    index->buildApproximate(p);
#endif
    index->save(dir + "/ann.zslidx");
    for (const char* f : {"/plain.zslidx", "/ann.zslidx"})
    {
        Ptr<GalleryIndex> back = GalleryIndex::load(dir + f);
        EXPECT_EQ(back->getIds(), ids);
        EXPECT_EQ(cv::norm(back->getVectors(), index->getVectors(), NORM_INF), 0.0);
        Mat i1, s1, i2, s2;
        index->search(q, 5, i1, s1);
        back->search(q, 5, i2, s2);
        EXPECT_EQ(cv::norm(i1, i2, NORM_INF), 0);
#ifdef HAVE_OPENCV_FLANN
        EXPECT_EQ(back->hasApproximate(), std::string(f) == "/ann.zslidx");
        if (back->hasApproximate())
        {
            EXPECT_EQ(back->getANNParams().checks, 64);
            index->search(q, 5, i1, s1, GalleryIndex::SEARCH_APPROXIMATE);
            back->search(q, 5, i2, s2, GalleryIndex::SEARCH_APPROXIMATE);
            EXPECT_EQ(cv::norm(i1, i2, NORM_INF), 0); // the same structure, not a rebuilt one
        }
#endif
    }
}

TEST(ZSL_GalleryIndex, load_rejects_corrupt_truncated_hostile_foreign)
{
    Mat g = clustered(200, 8, 5, 0.4, 9);
    Ptr<GalleryIndex> index = GalleryIndex::create(g);
#ifdef HAVE_OPENCV_FLANN
    index->buildApproximate();
#endif
    const std::string dir = tempDir();
    index->save(dir + "/ok.zslidx");
    std::ifstream in(dir + "/ok.zslidx", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto writeVariant = [&](const std::string& name, const std::string& data) {
        std::ofstream(dir + "/" + name, std::ios::binary) << data;
        return dir + "/" + name;
    };
    std::string flipped = bytes;
    flipped[bytes.size() / 2] ^= 0x5a; // inside the vectors or the ANN section: CRC mismatch
    std::string hostile = bytes;
    const uint64_t huge = 1000000000000ull;
    std::memcpy(&hostile[16], &huge, 8); // rows
    std::string foreign = "hello, this is not an index at all, but long enough for a header";
    for (const auto& v : {std::make_pair(std::string("flipped"), flipped),
                          std::make_pair(std::string("truncated"), bytes.substr(0, bytes.size() - 20)),
                          std::make_pair(std::string("short"), bytes.substr(0, 10)),
                          std::make_pair(std::string("hostile"), hostile),
                          std::make_pair(std::string("foreign"), foreign)})
    {
        const std::string path = writeVariant(v.first, v.second);
        EXPECT_THROW(GalleryIndex::load(path), cv::Exception) << v.first;
    }
    EXPECT_THROW(GalleryIndex::load(dir + "/missing.zslidx"), cv::Exception);
    EXPECT_NO_THROW(GalleryIndex::load(dir + "/ok.zslidx"));
}

#ifdef ZSL_HAVE_HNSWLIB
// HNSW: high recall at a small candidate list, exact similarities, the same graph for the same seed
// (row-order insertion), and save/load rebuilding exactly that graph.
TEST(ZSL_GalleryIndex, hnsw_recall_exact_similarities_and_determinism)
{
    Mat g = embeddingLike(20000, 64, 50, 6, 5), q = embeddingLike(200, 64, 50, 6, 6);
    Ptr<GalleryIndex> index = GalleryIndex::create(g);
    Mat exact, esim;
    index->search(q, 10, exact, esim);
    GalleryANNParams p;
    p.algorithm = GalleryIndex::ANN_HNSW;
    p.checks = 64;
    p.hnswM = 12;
    p.hnswEfConstruction = 100;
    index->buildApproximate(p);
    ASSERT_TRUE(index->hasApproximate());
    Mat approx, asim;
    index->search(q, 10, approx, asim, GalleryIndex::SEARCH_APPROXIMATE);
    const double recall = recallAtK(approx, exact);
    std::cout << "    [ INFO ] HNSW M 12, ef 64: recall@10 = " << recall << std::endl;
    EXPECT_GE(recall, 0.95);
    for (int i = 0; i < q.rows; i++)
        for (int j = 0; j < 10; j++)
        {
            const int r = approx.at<int>(i, j);
            ASSERT_GE(r, 0);
            const double c = q.row(i).dot(g.row(r)) / (cv::norm(q.row(i)) * cv::norm(g.row(r)));
            EXPECT_NEAR(asim.at<float>(i, j), c, 1e-5);
            if (j > 0)
                EXPECT_GE(asim.at<float>(i, j - 1), asim.at<float>(i, j)); // best first
        }
    // A smaller candidate list may only lose recall; a larger one reaches (nearly) the exact answer.
    index->setChecks(10);
    Mat small, ssim;
    index->search(q, 10, small, ssim, GalleryIndex::SEARCH_APPROXIMATE);
    EXPECT_LE(recallAtK(small, exact), recall + 1e-9);
    index->setChecks(400);
    index->search(q, 10, small, ssim, GalleryIndex::SEARCH_APPROXIMATE);
    EXPECT_GE(recallAtK(small, exact), 0.99);
    index->setChecks(64);

    // Same data and seed: the same graph, so the same answers; single queries equal the batch.
    Ptr<GalleryIndex> again = GalleryIndex::create(g);
    again->buildApproximate(p);
    Mat a2, s2;
    again->search(q, 10, a2, s2, GalleryIndex::SEARCH_APPROXIMATE);
    EXPECT_EQ(cv::norm(approx, a2, NORM_INF), 0);
    EXPECT_EQ(cv::norm(asim, s2, NORM_INF), 0);
    Mat one, onesim;
    again->search(q.row(17), 10, one, onesim, GalleryIndex::SEARCH_APPROXIMATE);
    EXPECT_EQ(cv::norm(one, approx.row(17), NORM_INF), 0);

    const std::string path = tempDir() + "/hnsw.zslidx";
    index->save(path);
    Ptr<GalleryIndex> back = GalleryIndex::load(path);
    ASSERT_TRUE(back->hasApproximate());
    const GalleryANNParams bp = back->getANNParams();
    EXPECT_EQ(bp.algorithm, (int)GalleryIndex::ANN_HNSW);
    EXPECT_EQ(bp.hnswM, 12);
    EXPECT_EQ(bp.hnswEfConstruction, 100);
    EXPECT_EQ(bp.checks, 64);
    back->search(q, 10, a2, s2, GalleryIndex::SEARCH_APPROXIMATE);
    EXPECT_EQ(cv::norm(approx, a2, NORM_INF), 0);

    // add() inserts the new rows into the graph (test_hnsw_graph.cpp: it equals a build over all rows):
    // each added query is then its own nearest neighbour.
    back->add(q.rowRange(0, 3));
    ASSERT_TRUE(back->hasApproximate());
    back->search(q.rowRange(0, 3), 1, a2, s2, GalleryIndex::SEARCH_APPROXIMATE);
    for (int i = 0; i < 3; i++)
    {
        EXPECT_EQ(a2.at<int>(i), g.rows + i);
        EXPECT_NEAR(s2.at<float>(i), 1.0, 1e-5);
    }
}

#endif

TEST(ZSL_OpenVocabulary, words_to_images_and_images_to_words)
{
    // A classifier trained on word-vector prototypes; its embeddings then query words and galleries.
    zsltest::SyntheticOptions o;
    o.numSeen = 12; o.numUnseen = 4; o.attributeDim = 10; o.featureDim = 24;
    zsltest::SyntheticProblem pb = zsltest::makeSyntheticProblem(o);
    // The vocabulary holds the class prototypes as "words" plus distractors.
    // Synthetic names are "class_07": drop the '_' so that each name is one word.
    auto word = [](String n) { n.erase(std::remove(n.begin(), n.end(), '_'), n.end()); return n; };
    std::vector<String> words, seenWords;
    for (const String& n : pb.seen.names)
        seenWords.push_back(word(n));
    Mat vecs;
    for (const ClassPrototypes* cp : {&pb.seen, &pb.unseen})
        for (int i = 0; i < cp->size(); i++)
        {
            words.push_back(word(cp->names[i]));
            vecs.push_back(cp->vectors.row(i));
        }
    // Real word vectors spread in all directions: centre the synthetic (all-positive) prototypes.
    Mat mean;
    cv::reduce(vecs, mean, 0, REDUCE_AVG);
    vecs -= cv::repeat(mean, vecs.rows, 1);
    Ptr<WordVectors> wv = WordVectors::create(words, vecs);
    ZeroShotClassifier::Params params;
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create(params);
    zsl->train(pb.trainX, pb.trainY, wv->prototypes(seenWords, OOV_ERROR, PROTOTYPE_NORM_NONE));

    // image -> words: unseen test images should name their own class among the top 3 words mostly.
    Mat idx, sim;
    predictWords(zsl, pb.testUnseenX, wv, 3, idx, sim);
    ASSERT_EQ(idx.size(), Size(3, pb.testUnseenX.rows));
    int hits = 0;
    for (int i = 0; i < idx.rows; i++)
        for (int j = 0; j < 3; j++)
            hits += wv->getWord(idx.at<int>(i, j)) == word(pb.unseen.names[pb.testUnseenY.at<int>(i)]);
    EXPECT_GT((double)hits / idx.rows, 0.5);

    // words -> images: the top images for an unseen class word are mostly of that class.
    Ptr<GalleryIndex> gallery = createSemanticGallery(zsl, pb.testUnseenX);
    searchByWords(gallery, wv, {word(pb.unseen.names[0]), word(pb.unseen.names[1])}, 5, idx, sim);
    ASSERT_EQ(idx.size(), Size(5, 2));
    int correct = 0;
    for (int r = 0; r < 2; r++)
        for (int j = 0; j < 5; j++)
            correct += pb.testUnseenY.at<int>(idx.at<int>(r, j)) == r;
    EXPECT_GE(correct, 7);
    EXPECT_THROW(searchByWords(gallery, wv, {"no_such_word"}, 5, idx, sim), cv::Exception);
}

}} // namespace
