// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include "test_common.hpp"
#include <fstream>

namespace opencv_test { namespace {

using namespace cv::zsl;

const char* const kWordNetNoun = "/usr/share/wordnet/data.noun";
const char* const kImagenetLabels = "/usr/share/darknet/data/imagenet.labels.list";

Ptr<ClassHierarchy> loadWordNetOrNull()
{
    std::ifstream f(kWordNetNoun);
    return f.good() ? ClassHierarchy::loadWordNet(kWordNetNoun) : Ptr<ClassHierarchy>();
}

TEST(ZSL_SynsetPrototypes, lemmasAveragedWithKnownAnswers)
{
    Ptr<ClassHierarchy> wn = loadWordNetOrNull();
    if (!wn)
        GTEST_SKIP() << "needs wordnet-base (tools/install_deps.sh)";
    // Vocabulary: dog e0, domestic e1, German_shepherd (a word2vec-style phrase token) e2, alsatian e3,
    // shirt e4, t e5, freshwater e6, fish e7.
    const std::vector<String> words = {"dog", "domestic", "German_shepherd", "alsatian", "shirt", "t", "freshwater", "fish"};
    Mat V = Mat::eye(8, 8, CV_32F);
    Ptr<WordVectors> wv = WordVectors::create(words, V, true); // case folded: "T-shirt" finds "t"
    SynsetEmbeddingOptions opt;
    opt.normalization = PROTOTYPE_NORM_NONE;
    std::vector<uchar> covered;
    // dog (n02084071): lemmas dog, domestic_dog, Canis_familiaris -> e0 and (e1 + e0)/2; Canis_familiaris is
    //   unknown and skipped -> (e0 + (e0 + e1)/2) / 2 = (0.75, 0.25).
    // German shepherd (n02106662): German_shepherd (whole token e2), German_shepherd_dog ("German" unknown:
    //   skipped), German_police_dog (skipped), alsatian e3 -> (e2 + e3)/2.
    // tench (n01440764): tench, Tinca_tinca unknown -> not covered (zero row).
    ClassPrototypes p = synsetPrototypes(wv, wn, {"n02084071", "n02106662", "n01440764"}, covered, opt);
    ASSERT_EQ(p.size(), 3);
    EXPECT_EQ(p.names[1], "n02106662");
    EXPECT_EQ(covered, (std::vector<uchar>{1, 1, 0}));
    Mat expect = Mat::zeros(3, 8, CV_32F);
    expect.at<float>(0, 0) = 0.75f;
    expect.at<float>(0, 1) = 0.25f;
    expect.at<float>(1, 2) = 0.5f;
    expect.at<float>(1, 3) = 0.5f;
    EXPECT_LE(cv::norm(p.vectors, expect, NORM_INF), 1e-6);

    // Partial lemmas: German_shepherd_dog -> its known word "dog" (e0), German_police_dog -> "dog" (e0):
    //   (e2 + e0 + e0 + e3) / 4.
    opt.partialLemmas = true;
    p = synsetPrototypes(wv, wn, {"n02106662"}, covered, opt);
    EXPECT_NEAR(p.vectors.at<float>(0, 0), 0.5f, 1e-6);
    EXPECT_NEAR(p.vectors.at<float>(0, 2), 0.25f, 1e-6);

    // Gloss of tench: "freshwater dace-like game fish of Europe and western Asia ..." -> freshwater and fish
    //   known: with glossWeight 1 and no lemma, (e6 + e7)/2.
    opt.partialLemmas = false;
    opt.glossWeight = 1.0;
    p = synsetPrototypes(wv, wn, {"n01440764"}, covered, opt);
    EXPECT_EQ(covered[0], 1);
    EXPECT_NEAR(p.vectors.at<float>(0, 6), 0.5f, 1e-6);
    EXPECT_NEAR(p.vectors.at<float>(0, 7), 0.5f, 1e-6);

    // Jersey (n03595614): jersey, T-shirt, tee_shirt; only T-shirt is usable, through its parts t and shirt
    //   (the hyphenated word is not in the vocabulary) -> (e4 + e5)/2.
    const int tshirt = wn->indexOf("n03595614");
    ASSERT_GE(tshirt, 0);
    opt.glossWeight = 0;
    p = synsetPrototypes(wv, wn, {"n03595614"}, covered, opt);
    EXPECT_EQ(covered[0], 1) << wn->getNames(tshirt)[1];
    EXPECT_NEAR(p.vectors.at<float>(0, 4), 0.5f, 1e-6);
    EXPECT_NEAR(p.vectors.at<float>(0, 5), 0.5f, 1e-6);

    // L2 (default): unit rows, zero rows stay zero.
    p = synsetPrototypes(wv, wn, {"n02084071", "n01440764"}, covered);
    EXPECT_NEAR(cv::norm(p.vectors.row(0)), 1.0, 1e-6);
    EXPECT_EQ(cv::norm(p.vectors.row(1)), 0.0);
}

TEST(ZSL_SynsetPrototypes, badInput)
{
    Ptr<ClassHierarchy> h = ClassHierarchy::create({"root", "dog"}, {"dog"}, {"root"});
    Ptr<WordVectors> wv = WordVectors::create({"dog"}, Mat::ones(1, 3, CV_32F));
    std::vector<uchar> covered;
    SynsetEmbeddingOptions strict;
    strict.oovPolicy = OOV_ERROR;
    try
    {
        synsetPrototypes(wv, h, {"dog", "root"}, covered, strict);
        FAIL();
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(std::string(e.what()).find("1 of 2 synsets have no word vector: root"), std::string::npos) << e.what();
    }
    EXPECT_THROW(synsetPrototypes(wv, h, {"dog", "dog"}, covered), cv::Exception);
    EXPECT_THROW(synsetPrototypes(wv, h, {"cat"}, covered), cv::Exception);
    EXPECT_THROW(synsetPrototypes(wv, h, {}, covered), cv::Exception);
    EXPECT_THROW(synsetPrototypes(Ptr<WordVectors>(), h, {"dog"}, covered), cv::Exception);
    SynsetEmbeddingOptions bad;
    bad.glossWeight = -1;
    EXPECT_THROW(synsetPrototypes(wv, h, {"dog"}, covered, bad), cv::Exception);
}

TEST(ZSL_SynsetPrototypes, coverageOfImagenet21kWithShippedVectors)
{
    Ptr<ClassHierarchy> wn = loadWordNetOrNull();
    std::ifstream labelsFile(kImagenetLabels);
    if (!wn || !labelsFile.good())
        GTEST_SKIP() << "needs wordnet-base and darknet (tools/install_deps.sh)";
    WordVectorsLoadOptions lo;
    lo.caseFold = true;
    Ptr<WordVectors> wv = WordVectors::load(zsltest::repoDataPath("wordvec/dict_fasttext_100d_subset.vec"), lo);
    const std::vector<String> all = readClassIdList(kImagenetLabels);
    std::vector<uchar> covered, coveredGloss;
    ClassPrototypes p = synsetPrototypes(wv, wn, all, covered);
    SynsetEmbeddingOptions g;
    g.glossWeight = 0.5;
    synsetPrototypes(wv, wn, all, coveredGloss, g);
    const int n = (int)std::count(covered.begin(), covered.end(), 1);
    const int ng = (int)std::count(coveredGloss.begin(), coveredGloss.end(), 1);
    EXPECT_GT(n, 0);
    EXPECT_GE(ng, n);
    // Covered rows are unit vectors, the others zero.
    for (int i = 0; i < p.size(); i++)
        EXPECT_NEAR(cv::norm(p.vectors.row(i)), covered[i] ? 1.0 : 0.0, 1e-5) << all[i];
    RecordProperty("covered_lemmas", n);
    RecordProperty("covered_with_gloss", ng);
    RecordProperty("synsets", (int)all.size());
}

}} // namespace
