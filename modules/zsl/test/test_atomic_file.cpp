// This file is part of the opencv_zsl module (cv::zsl).
// The shared crash-safe writer, on real file systems: a full tmpfs, a read-only mount, a missing
// directory, a target that is a directory. Every writer of the module must fail the same way.
#include "test_precomp.hpp"
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/mount.h>
#include <unistd.h>

namespace opencv_test { namespace {

using namespace cv::zsl;
namespace fs = std::filesystem;

static std::string readBytes(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

static std::vector<std::string> temporaryFiles(const std::string& dir)
{
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().rfind(".zsl-tmp-", 0) == 0)
            found.push_back(e.path().string());
    return found;
}

/** One writer of the module: writes `path` from an object of the given size class. */
struct Writer
{
    std::string name, file;
    std::function<void(const std::string& path, bool large)> write;
};

static Ptr<ZeroShotClassifier> smallClassifier(bool large)
{
    zsltest::SyntheticOptions o;
    o.numUnseen = large ? 300 : 2;
    o.testPerClass = 1;
    zsltest::SyntheticProblem p = zsltest::makeSyntheticProblem(o);
    Ptr<ZeroShotClassifier> zsl = ZeroShotClassifier::create();
    zsl->train(p.trainX, p.trainY, p.seen);
    zsl->setUnseenClasses(p.unseen);
    return zsl;
}

static std::vector<Writer> allWriters()
{
    std::vector<Writer> w;
    for (const char* ext : {".yml", ".yml.gz", ".xml", ".json"})
        w.push_back({std::string("ZeroShotClassifier::save") + ext, std::string("model") + ext,
                     [](const std::string& path, bool large) { smallClassifier(large)->save(path); }});
    w.push_back({"writePrototypesJSON", "protos.json", [](const std::string& path, bool large) {
                     Mat v(large ? 2000 : 2, 16, CV_32F);
                     cv::randu(v, 0, 1);
                     std::vector<String> names;
                     for (int i = 0; i < v.rows; i++)
                         names.push_back(cv::format("class_%d", i));
                     writePrototypesJSON(path, ClassPrototypes(names, v));
                 }});
    w.push_back({"GalleryIndex::save", "gallery.zslidx", [](const std::string& path, bool large) {
                     Mat v(large ? 20000 : 4, 8, CV_32F);
                     cv::randu(v, -1, 1);
                     GalleryIndex::create(v)->save(path);
                 }});
    for (int format : {WORDVEC_TEXT, WORDVEC_WORD2VEC_BINARY})
        w.push_back({cv::format("WordVectors::save(format %d)", format), cv::format("words%d.vec", format),
                     [format](const std::string& path, bool large) {
                         Mat v(large ? 20000 : 3, 8, CV_32F);
                         cv::randu(v, -1, 1);
                         std::vector<String> words;
                         for (int i = 0; i < v.rows; i++)
                             words.push_back(cv::format("w%d", i));
                         WordVectors::create(words, v)->save(path, format);
                     }});
    w.push_back({"MatFile::write", "data.mat", [](const std::string& path, bool large) {
                     MatFile m;
                     Mat v(large ? 400 : 2, 400, CV_64F);
                     cv::randu(v, 0, 1); // random doubles do not compress
                     m.setMatrix("x", v);
                     m.write(path);
                 }});
    w.push_back({"writeGbuFeatures", "res101.mat", [](const std::string& path, bool large) {
                     Mat x(large ? 400 : 2, 256, CV_32F);
                     cv::randu(x, 0, 1);
                     writeGbuFeatures(path, x, Mat::zeros(x.rows, 1, CV_32S));
                 }});
    return w;
}

/** A small tmpfs mounted for the test (needs root: CAP_SYS_ADMIN); unmounted at the end. */
class SmallFileSystem
{
public:
    explicit SmallFileSystem(size_t bytes)
    {
        dir_ = zsltest::tempDir() + "/fs";
        fs::create_directories(dir_);
        const std::string opts = cv::format("size=%zu,mode=0755", bytes);
        if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) != 0)
            reason_ = cv::format("cannot mount a tmpfs (%s): run the suite as root to cover full and read-only "
                                 "file systems", std::strerror(errno));
        else
            mounted_ = true;
    }
    ~SmallFileSystem()
    {
        if (mounted_)
            ::umount2(dir_.c_str(), MNT_DETACH);
    }
    bool mounted() const { return mounted_; }
    const std::string& skipReason() const { return reason_; }
    const std::string& dir() const { return dir_; }

    //! Fills the file system up to the last byte (a filler file written until ENOSPC).
    void fill()
    {
        FILE* f = std::fopen((dir_ + "/filler").c_str(), "wb");
        ASSERT_TRUE(f != nullptr);
        std::vector<char> block(4096, 'x');
        while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) {}
        std::fclose(f);
        // Whatever smaller tail is left.
        f = std::fopen((dir_ + "/filler2").c_str(), "wb");
        if (f)
        {
            while (std::fwrite(block.data(), 1, 1, f) == 1 && std::fflush(f) == 0) {}
            std::fclose(f);
        }
    }
    void remount(bool readOnly)
    {
        ASSERT_EQ(0, ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | (readOnly ? MS_RDONLY : 0), nullptr))
            << std::strerror(errno);
    }

private:
    std::string dir_, reason_;
    bool mounted_ = false;
};

TEST(ZSL_AtomicFile, writesCommitsAndLeavesNoTemporaryFile)
{
    const std::string dir = zsltest::tempDir();
    const std::string path = dir + "/out.bin";
    {
        AtomicFile f(path);
        std::string big(3 << 20, 'a'); // several internal buffers
        f.write(big);
        f.write("tail", 4);
        EXPECT_EQ(1u, temporaryFiles(dir).size());
        EXPECT_FALSE(fs::exists(path));
        f.commit();
        EXPECT_THROW(f.write("x", 1), cv::Exception);
        EXPECT_THROW(f.commit(), cv::Exception);
    }
    EXPECT_EQ((size_t)(3 << 20) + 4, fs::file_size(path));
    EXPECT_TRUE(temporaryFiles(dir).empty());
}

TEST(ZSL_AtomicFile, abandonedFileKeepsTheOldOneAndRemovesItsTemporary)
{
    const std::string dir = zsltest::tempDir();
    const std::string path = dir + "/keep.txt";
    writeFileAtomically(path, "old");
    try
    {
        AtomicFile f(path);
        f.write("new content that never lands");
        throw std::runtime_error("caller failed");
    }
    catch (const std::runtime_error&) {}
    EXPECT_EQ("old", readBytes(path));
    EXPECT_TRUE(temporaryFiles(dir).empty());
}

TEST(ZSL_AtomicFile, storageFormatsRoundTripAndUnknownExtensionsAreRefused)
{
    const std::string dir = zsltest::tempDir();
    Mat m = (Mat_<float>(2, 2) << 1, 2, 3, 4.5f);
    for (const char* ext : {".yml", ".yaml", ".xml", ".json", ".yml.gz", ".xml.gz", ".json.gz"})
    {
        const std::string path = dir + "/doc" + ext;
        writeStorageAtomically(path, [&](FileStorage& fs) { fs << "m" << m << "name" << "zebra"; });
        FileStorage in(path, FileStorage::READ);
        ASSERT_TRUE(in.isOpened()) << ext;
        Mat back;
        in["m"] >> back;
        EXPECT_EQ(0, cv::norm(m, back, NORM_INF)) << ext;
        EXPECT_EQ("zebra", (std::string)in["name"]) << ext;
    }
    for (const char* bad : {"/doc.png", "/doc", "/doc.gz", "/doc.txt"})
    {
        EXPECT_FALSE(isStorageFileName(dir + bad));
        EXPECT_THROW(writeStorageAtomically(dir + bad, [](FileStorage& fs) { fs << "a" << 1; }), cv::Exception) << bad;
        EXPECT_FALSE(fs::exists(dir + bad)) << bad;
    }
    EXPECT_TRUE(isStorageFileName("Model.YML.GZ"));
}

TEST(ZSL_AtomicFile, missingDirectoryAndDirectoryTargetNameTheProblem)
{
    const std::string dir = zsltest::tempDir();
    for (const Writer& w : allWriters())
    {
        SCOPED_TRACE(w.name);
        const std::string target = dir + "/adir/" + w.file; // a directory with the writer's file name
        fs::create_directories(target);
        try
        {
            w.write(dir + "/no/such/dir/" + w.file, false);
            ADD_FAILURE() << "no exception for a missing directory";
        }
        catch (const cv::Exception& e)
        {
            EXPECT_NE(std::string::npos, e.err.find("no/such/dir")) << e.err;
            EXPECT_NE(std::string::npos, e.err.find("No such file or directory")) << e.err;
        }
        try
        {
            w.write(target, false);
            ADD_FAILURE() << "no exception for a directory target";
        }
        catch (const cv::Exception& e)
        {
            EXPECT_NE(std::string::npos, e.err.find("is a directory")) << e.err;
        }
        EXPECT_TRUE(fs::is_directory(target));
    }
    EXPECT_TRUE(temporaryFiles(dir).empty());
    EXPECT_TRUE(temporaryFiles(dir + "/adir").empty());
}

TEST(ZSL_AtomicFile, fullFileSystemKeepsEveryOldFileByteIdentical)
{
    SmallFileSystem sfs(2 << 20);
    if (!sfs.mounted())
        GTEST_SKIP() << sfs.skipReason();
    const std::vector<Writer> writers = allWriters();
    std::map<std::string, std::string> before;
    for (const Writer& w : writers)
    {
        const std::string path = sfs.dir() + "/" + w.file;
        w.write(path, false);
        before[path] = readBytes(path);
        ASSERT_FALSE(before[path].empty()) << w.name;
    }
    sfs.fill();
    for (const Writer& w : writers)
    {
        SCOPED_TRACE(w.name);
        const std::string path = sfs.dir() + "/" + w.file;
        try
        {
            w.write(path, true);
            ADD_FAILURE() << "saving onto a full file system reported success";
        }
        catch (const cv::Exception& e)
        {
            EXPECT_NE(std::string::npos, e.err.find(path)) << e.err;
            EXPECT_NE(std::string::npos, e.err.find("No space left on device")) << e.err;
        }
        EXPECT_EQ(before[path], readBytes(path)) << "the good file was changed";
        EXPECT_TRUE(temporaryFiles(sfs.dir()).empty());
    }
    // Space back: the same writers succeed and the files load.
    fs::remove(sfs.dir() + "/filler");
    fs::remove(sfs.dir() + "/filler2");
    smallClassifier(true)->save(sfs.dir() + "/model.yml.gz");
    EXPECT_EQ(20 + 300, ZeroShotClassifier::load(sfs.dir() + "/model.yml.gz")->getClasses().size());
}

TEST(ZSL_AtomicFile, readOnlyFileSystemIsReportedAndNothingChanges)
{
    SmallFileSystem sfs(1 << 20);
    if (!sfs.mounted())
        GTEST_SKIP() << sfs.skipReason();
    const std::vector<Writer> writers = allWriters();
    std::map<std::string, std::string> before;
    for (const Writer& w : writers)
    {
        const std::string path = sfs.dir() + "/" + w.file;
        w.write(path, false);
        before[path] = readBytes(path);
    }
    sfs.remount(true);
    for (const Writer& w : writers)
    {
        SCOPED_TRACE(w.name);
        const std::string path = sfs.dir() + "/" + w.file;
        try
        {
            w.write(path, false);
            ADD_FAILURE() << "saving onto a read-only file system reported success";
        }
        catch (const cv::Exception& e)
        {
            EXPECT_NE(std::string::npos, e.err.find(path)) << e.err;
            EXPECT_NE(std::string::npos, e.err.find("Read-only file system")) << e.err;
        }
        EXPECT_EQ(before[path], readBytes(path));
    }
    sfs.remount(false);
    EXPECT_TRUE(temporaryFiles(sfs.dir()).empty());
}

}} // namespace
