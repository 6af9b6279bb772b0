// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include "test_common.hpp"
#include <fstream>
#include <set>
#include <thread>

namespace opencv_test { namespace {

using namespace cv::zsl;

const char* const kWordNetNoun = "/usr/share/wordnet/data.noun";
const char* const kImagenetLabels = "/usr/share/darknet/data/imagenet.labels.list";

bool exists(const char* path)
{
    std::ifstream f(path);
    return f.good();
}

/*  Hand-built taxonomy used by several tests (edges child -> parent):

            root
           /    \
        animal  thing
        /   \       \
      dog   cat     car
      /  \
   puppy  hound      plus  "mule" with two parents: dog and cat (a DAG, not a tree)
*/
Ptr<ClassHierarchy> smallTaxonomy()
{
    std::vector<String> ids = {"root", "animal", "thing", "dog", "cat", "car", "puppy", "hound", "mule"};
    std::vector<String> child = {"animal", "thing", "dog", "cat", "car", "puppy", "hound", "mule", "mule"};
    std::vector<String> parent = {"root", "root", "animal", "animal", "thing", "dog", "dog", "dog", "cat"};
    return ClassHierarchy::create(ids, child, parent);
}

TEST(ZSL_ClassHierarchy, edgeListStructureAndHops)
{
    Ptr<ClassHierarchy> h = smallTaxonomy();
    ASSERT_EQ(h->size(), 9);
    const int root = h->find("root"), dog = h->find("dog"), cat = h->find("cat"), car = h->find("car"),
              puppy = h->find("puppy"), hound = h->find("hound"), mule = h->find("mule");
    EXPECT_EQ(h->getRoots(), std::vector<int>{root});
    EXPECT_EQ(h->getParents(mule), (std::vector<int>{dog, cat}));
    EXPECT_EQ(h->getChildren(dog), (std::vector<int>{puppy, hound, mule}));
    // Hops: siblings 2, puppy-cat: puppy-dog-animal-cat = 3, but mule gives puppy-dog-mule-cat = 3 too;
    // puppy-car: puppy-dog-animal-root-thing-car = 5.
    EXPECT_EQ(h->hopDistance(puppy, hound), 2);
    EXPECT_EQ(h->hopDistance(puppy, cat), 3);
    EXPECT_EQ(h->hopDistance(puppy, car), 5);
    EXPECT_EQ(h->hopDistance(mule, mule), 0);
    EXPECT_EQ(h->hopDistance(mule, cat), 1);
    // Shortest path to the root: mule -> dog -> animal -> root and mule -> cat -> animal -> root are
    // equally short; the lower-numbered parent (dog = 3 < cat = 4) is taken.
    EXPECT_EQ(h->pathToRoot(mule), (std::vector<int>{mule, dog, h->find("animal"), root}));
    EXPECT_EQ(h->pathToRoot(root), std::vector<int>{root});
    EXPECT_TRUE(h->isAncestor(h->find("animal"), mule));
    EXPECT_FALSE(h->isAncestor(car, mule));
    EXPECT_FALSE(h->isAncestor(mule, dog));

    // Multi-source BFS from {puppy, car}, radius 2: puppy 0, car 0, dog 1, thing 1, hound 2, mule 2,
    // animal 2, root 2; cat is 3 from puppy and 4 from car -> -1.
    std::vector<int> d;
    h->hopDistances({puppy, car}, 2, d);
    EXPECT_EQ(d, (std::vector<int>{2, 2, 1, 1, -1, 0, 0, 2, 2}));
    // Paths restricted to {puppy, dog, hound, mule, cat}: cat is 3 hops via mule.
    std::vector<uchar> through(9, 0);
    for (int v : {puppy, dog, hound, mule, cat})
        through[v] = 1;
    h->hopDistances({puppy}, 10, d, through);
    EXPECT_EQ(d[cat], 3);
    EXPECT_EQ(d[h->find("animal")], -1);
}

TEST(ZSL_ClassHierarchy, concurrentQueriesAgree)
{
    // The thread-safety contract: const queries from several threads at once give the serial answers.
    Ptr<ClassHierarchy> h = smallTaxonomy();
    std::vector<int> serial;
    for (int a = 0; a < h->size(); a++)
        for (int b = 0; b < h->size(); b++)
            serial.push_back(h->hopDistance(a, b) * 100 + (int)h->pathToRoot(a).size());
    std::vector<std::vector<int>> results(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++)
        threads.emplace_back([&, t] {
            for (int rep = 0; rep < 50; rep++)
            {
                results[t].clear();
                for (int a = 0; a < h->size(); a++)
                    for (int b = 0; b < h->size(); b++)
                        results[t].push_back(h->hopDistance(a, b) * 100 + (int)h->pathToRoot(a).size());
            }
        });
    for (std::thread& th : threads)
        th.join();
    for (int t = 0; t < 4; t++)
        EXPECT_EQ(results[t], serial);
}

TEST(ZSL_ClassHierarchy, hopLabelSetsOnHandBuiltTaxonomy)
{
    Ptr<ClassHierarchy> h = smallTaxonomy();
    const std::vector<String> universe = {"car", "cat", "dog", "hound", "mule", "puppy", "thing"};
    // Training {puppy}: 1 hop = {dog}; 2 hops adds hound, mule (via dog) and animal (not in the universe);
    // 3 hops adds cat (via animal or mule), root (not in the universe).
    EXPECT_EQ(hopLabelSet(h, {"puppy"}, universe, 0), std::vector<String>());
    EXPECT_EQ(hopLabelSet(h, {"puppy"}, universe, 1), std::vector<String>{"dog"});
    EXPECT_EQ(hopLabelSet(h, {"puppy"}, universe, 2), (std::vector<String>{"dog", "hound", "mule"}));
    EXPECT_EQ(hopLabelSet(h, {"puppy"}, universe, 3), (std::vector<String>{"cat", "dog", "hound", "mule"}));
    // 5 hops reach thing (puppy-dog-animal-root-thing is 4) and car (5).
    EXPECT_EQ(hopLabelSet(h, {"puppy"}, universe, 5).size(), 6u);
    // Within the universe only (animal and root are not in it): cat is still 3 hops, through mule;
    // thing and car are unreachable.
    EXPECT_EQ(hopLabelSet(h, {"puppy"}, universe, 9, true), (std::vector<String>{"cat", "dog", "hound", "mule"}));
    EXPECT_EQ(labelSetDifference(universe, {"dog", "cat"}), (std::vector<String>{"car", "hound", "mule", "puppy", "thing"}));
}

TEST(ZSL_ClassHierarchy, badEdgeListsAreRefused)
{
    // A cycle a -> b -> c -> a below a root.
    try
    {
        ClassHierarchy::create({"r", "a", "b", "c"}, {"a", "b", "c", "a"}, {"r", "a", "b", "c"});
        FAIL() << "cycle accepted";
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(std::string(e.what()).find("cycle"), std::string::npos) << e.what();
    }
    EXPECT_THROW(ClassHierarchy::create({"a"}, {"a"}, {"a"}), cv::Exception);              // self-loop
    EXPECT_THROW(ClassHierarchy::create({"a", "a"}, {}, {}), cv::Exception);               // duplicate id
    EXPECT_THROW(ClassHierarchy::create({"a", "b"}, {"a"}, {"zebra"}), cv::Exception);     // unknown id
    EXPECT_THROW(ClassHierarchy::create({"a", "b c"}, {}, {}), cv::Exception);             // whitespace
    EXPECT_THROW(ClassHierarchy::create({"a", "b"}, {"a"}, {}), cv::Exception);            // length mismatch
    Ptr<ClassHierarchy> h = smallTaxonomy();
    EXPECT_THROW(h->getNames(9), cv::Exception);
    EXPECT_THROW(h->pathToRoot(-1), cv::Exception);
    try
    {
        h->findAll({"dog", "unicorn"}, "test labels");
        FAIL();
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(std::string(e.what()).find("unicorn"), std::string::npos) << e.what();
    }
    EXPECT_THROW(hopLabelSet(h, {"puppy"}, {"dog", "dog"}, 2), cv::Exception);            // duplicate universe
    EXPECT_THROW(hopLabelSet(h, {"puppy"}, {"dog"}, -1), cv::Exception);
    EXPECT_THROW(hopLabelSet(h, {"n99999999"}, {"dog"}, 1), cv::Exception);
}

// A minimal data.noun: the offsets are the byte offsets of the lines, as WordNet's are.
std::string miniWordNet(bool cycle = false)
{
    std::vector<std::string> bodies = {
        "03 n 01 entity 0 001 ~ %s n 0000 | that which exists",
        "03 n 02 animal 0 beast 0 002 @ %s n 0000 ~ %s n 0000 | a living organism",
        "05 n 02 dog 0 domestic_dog 0 001 @ %s n 0000 | a member of the genus Canis; \"the dog barked\"",
    };
    // Two passes: offsets depend on line lengths, which depend on the 8-digit offsets (fixed width).
    std::string header = "  1 This is a test header line\n";
    std::vector<size_t> off(3);
    size_t pos = header.size();
    for (int i = 0; i < 3; i++)
    {
        off[i] = pos;
        pos += 9 + cv::format(bodies[i].c_str(), "00000000", "00000000").size() + 1;
    }
    auto o = [&](int i) { return cv::format("%08d", (int)off[i]); };
    std::string s = header;
    s += o(0) + " " + cv::format(bodies[0].c_str(), o(1).c_str()) + "\n";
    s += o(1) + " " + cv::format(bodies[1].c_str(), cycle ? o(2).c_str() : o(0).c_str(), o(2).c_str()) + "\n";
    s += o(2) + " " + cv::format(bodies[2].c_str(), o(1).c_str()) + "\n";
    return s;
}

TEST(ZSL_ClassHierarchy, parsesWordNetFormat)
{
    const std::string dir = zsltest::tempDir();
    const std::string path = dir + "/data.noun";
    zsltest::writeTextFile(path, miniWordNet());
    Ptr<ClassHierarchy> h = ClassHierarchy::loadWordNet(path);
    ASSERT_EQ(h->size(), 3);
    const int dog = h->find(h->getId(2));
    EXPECT_EQ(h->getNames(dog), (std::vector<String>{"dog", "domestic_dog"}));
    EXPECT_EQ(h->getGloss(dog), "a member of the genus Canis; \"the dog barked\"");
    EXPECT_EQ(h->pathToRoot(dog), (std::vector<int>{2, 1, 0}));
    EXPECT_EQ(h->getId(0).size(), 9u);
    EXPECT_EQ(h->getId(0)[0], 'n');

    // A hypernym cycle (animal -> dog -> animal) is refused.
    zsltest::writeTextFile(path, miniWordNet(true));
    EXPECT_THROW(ClassHierarchy::loadWordNet(path), cv::Exception);
}

TEST(ZSL_ClassHierarchy, corruptWordNetNamesFileAndLine)
{
    const std::string dir = zsltest::tempDir();
    const std::string good = miniWordNet();
    struct Case
    {
        std::string text, expect;
    };
    std::string shifted = good;
    shifted.insert(0, " ");                                       // every offset now wrong -> line 2
    std::string badCount = good;
    badCount.replace(badCount.find(" 02 dog"), 7, " 03 dog");     // 3 words announced, line 4
    std::string truncated = good.substr(0, good.size() - 5);      // last line without newline
    std::string badPointer = good;
    badPointer.replace(badPointer.find("~ "), 2, "~~~ ");         // malformed pointer symbol, line 2
    std::string danglingHypernym = good;
    const size_t at = danglingHypernym.rfind("@ ") + 2;           // dog's hypernym -> an offset not in the file
    danglingHypernym.replace(at, 8, "00000001");
    const std::vector<Case> cases = {{shifted, ":2:"}, {badCount, ":4:"}, {truncated, ":4:"}, {badPointer, ":2:"},
                                     {danglingHypernym, ":4:"}, {"", "no synset"}};
    for (size_t i = 0; i < cases.size(); i++)
    {
        const std::string path = dir + cv::format("/bad%d.noun", (int)i);
        zsltest::writeTextFile(path, cases[i].text);
        try
        {
            ClassHierarchy::loadWordNet(path);
            ADD_FAILURE() << "case " << i << " accepted";
        }
        catch (const cv::Exception& e)
        {
            const std::string what = e.what();
            EXPECT_NE(what.find(cases[i].expect), std::string::npos) << "case " << i << ": " << what;
            if (i < 5)
                EXPECT_NE(what.find(path), std::string::npos) << what;
        }
    }
    EXPECT_THROW(ClassHierarchy::loadWordNet(dir + "/missing.noun"), cv::Exception);
    EXPECT_THROW(ClassHierarchy::loadWordNet("/dev/zero"), cv::Exception);
}

TEST(ZSL_ClassHierarchy, classIdListsRefuseDuplicatesWithLine)
{
    const std::string dir = zsltest::tempDir();
    zsltest::writeTextFile(dir + "/ok.txt", "# comment\nn01440764\n\n  n15075141  \r\nn02084071 # dog\n");
    EXPECT_EQ(readClassIdList(dir + "/ok.txt"), (std::vector<String>{"n01440764", "n15075141", "n02084071"}));
    zsltest::writeTextFile(dir + "/dup.txt", "n01440764\nn15075141\nn01440764\n");
    try
    {
        readClassIdList(dir + "/dup.txt");
        FAIL();
    }
    catch (const cv::Exception& e)
    {
        EXPECT_NE(std::string(e.what()).find("dup.txt:3: duplicate id 'n01440764' (first on line 1)"), std::string::npos)
            << e.what();
    }
    zsltest::writeTextFile(dir + "/space.txt", "n01440764 tench\n");
    EXPECT_THROW(readClassIdList(dir + "/space.txt"), cv::Exception);
    zsltest::writeTextFile(dir + "/empty.txt", "\n# nothing\n");
    EXPECT_THROW(readClassIdList(dir + "/empty.txt"), cv::Exception);
    EXPECT_THROW(readClassIdList(dir + "/missing.txt"), cv::Exception);
}

TEST(ZSL_ClassHierarchy, realWordNetAndImagenetLabelSets)
{
    if (!exists(kWordNetNoun) || !exists(kImagenetLabels))
        GTEST_SKIP() << "needs wordnet-base and darknet (tools/install_deps.sh)";
    Ptr<ClassHierarchy> wn = ClassHierarchy::loadWordNet(kWordNetNoun);
    EXPECT_EQ(wn->size(), 82115); // WordNet 3.0 noun synsets
    EXPECT_EQ(wn->getRoots(), std::vector<int>{wn->find("n00001740")}); // entity
    const int dog = wn->find("n02084071");
    EXPECT_EQ(wn->getNames(dog)[0], "dog");
    const std::vector<int> path = wn->pathToRoot(dog);
    EXPECT_EQ(wn->getId(path.back()), "n00001740");
    for (size_t i = 1; i < path.size(); i++)
    {
        const std::vector<int> p = wn->getParents(path[i - 1]);
        EXPECT_TRUE(std::find(p.begin(), p.end(), path[i]) != p.end());
    }

    const std::vector<String> all = readClassIdList(kImagenetLabels);
    ASSERT_GE(all.size(), 1000u);
    const std::vector<String> train(all.begin(), all.begin() + 1000);
    // The first 1,000 are ILSVRC-2012's: tench and toilet tissue among them, and (as ILSVRC chose its
    // classes) none is an ancestor of another.
    EXPECT_TRUE(std::count(train.begin(), train.end(), "n01440764"));
    EXPECT_TRUE(std::count(train.begin(), train.end(), "n15075141"));
    const std::vector<int> t = wn->findAll(train, "ILSVRC labels");
    const std::vector<int> universe = wn->findAll(all, "ImageNet-21K labels"); // every wnid is a WordNet 3.0 noun
    std::vector<uchar> isTrain(wn->size(), 0);
    for (int v : t)
        isTrain[v] = 1;
    for (int v : t)
        for (int a : wn->pathToRoot(v))
            EXPECT_TRUE(a == v || !isTrain[a]) << wn->getId(v) << " below " << wn->getId(a);

    // n-hop sets grow with n, exclude the training labels, and agree with a direct distance check.
    const std::vector<String> h1 = hopLabelSet(wn, train, all, 1), h2 = hopLabelSet(wn, train, all, 2),
                              h3 = hopLabelSet(wn, train, all, 3), rest = labelSetDifference(all, train);
    EXPECT_LT(h1.size(), h2.size());
    EXPECT_LT(h2.size(), h3.size());
    EXPECT_LT(h3.size(), rest.size());
    EXPECT_EQ(rest.size(), all.size() - 1000);
    const std::set<String> s2(h2.begin(), h2.end());
    std::vector<int> d;
    wn->hopDistances(t, 2, d);
    int reference = 0;
    for (int v : universe)
        reference += (d[v] == 1 || d[v] == 2);
    EXPECT_EQ((int)h2.size(), reference);
    for (const String& id : train)
        EXPECT_FALSE(s2.count(id));
    RecordProperty("hop1", (int)h1.size());
    RecordProperty("hop2", (int)h2.size());
    RecordProperty("hop3", (int)h3.size());
    RecordProperty("hop2_within21k", (int)hopLabelSet(wn, train, all, 2, true).size());
    RecordProperty("hop3_within21k", (int)hopLabelSet(wn, train, all, 3, true).size());
    RecordProperty("21k_minus_1k", (int)rest.size());
}

}} // namespace
