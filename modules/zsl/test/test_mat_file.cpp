// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include "opencv2/zsl/mat_file.hpp"
#include <algorithm>
#include <cstring>
#include <iterator>
#include <fstream>
#include <limits>

namespace opencv_test { namespace {

using namespace cv::zsl;

//--------------------------------------------------------------------------------------------------
// Hand-built MAT-files: every byte spelled out, in either byte order.

struct Enc
{
    bool bigEndian = false;

    void put(std::vector<uchar>& out, uint64_t v, int n) const
    {
        for (int i = 0; i < n; i++)
            out.push_back((uchar)(v >> (8 * (bigEndian ? n - 1 - i : i))));
    }
    std::vector<uchar> u32s(std::initializer_list<uint32_t> vs) const
    {
        std::vector<uchar> out;
        for (uint32_t v : vs)
            put(out, v, 4);
        return out;
    }
    // A data element in the normal format (8-byte tag, data padded to 8 bytes).
    std::vector<uchar> element(uint32_t type, const std::vector<uchar>& data, int64_t claimed = -1) const
    {
        std::vector<uchar> out;
        put(out, type, 4);
        put(out, claimed >= 0 ? (uint64_t)claimed : data.size(), 4);
        out.insert(out.end(), data.begin(), data.end());
        while (out.size() % 8)
            out.push_back(0);
        return out;
    }
    // A data element in the small format (1..4 bytes packed into the tag).
    std::vector<uchar> small(uint32_t type, const std::vector<uchar>& data) const
    {
        std::vector<uchar> out;
        put(out, type | ((uint32_t)data.size() << 16), 4);
        out.insert(out.end(), data.begin(), data.end());
        while (out.size() < 8)
            out.push_back(0);
        return out;
    }
    std::vector<uchar> matrix(uint32_t cls, const std::vector<int32_t>& dims, const std::string& name,
                              const std::vector<uchar>& contents, uint32_t flags = 0) const
    {
        std::vector<uchar> body = element(6, u32s({ cls | flags, 0 }));
        std::vector<uchar> d;
        for (int32_t x : dims)
            put(d, (uint32_t)x, 4);
        append(body, element(5, d));
        std::vector<uchar> nameBytes(name.size());
        std::copy(name.begin(), name.end(), nameBytes.begin());
        append(body, nameBytes.size() >= 1 && nameBytes.size() <= 4 ? small(1, nameBytes) : element(1, nameBytes));
        append(body, contents);
        return element(14, body);
    }
    std::vector<uchar> header() const
    {
        std::vector<uchar> h(128, ' ');
        const char text[] = "MATLAB 5.0 MAT-file, hand-built test";
        std::memcpy(h.data(), text, sizeof(text) - 1);
        std::fill(h.begin() + 116, h.begin() + 124, 0);
        std::vector<uchar> v;
        put(v, 0x0100, 2);
        put(v, ('M' << 8) | 'I', 2);
        std::copy(v.begin(), v.end(), h.begin() + 124);
        return h;
    }
    static void append(std::vector<uchar>& a, const std::vector<uchar>& b) { a.insert(a.end(), b.begin(), b.end()); }
};

// A zlib stream made of "stored" (uncompressed) deflate blocks: lets tests craft any payload.
static std::vector<uchar> zlibStored(const std::vector<uchar>& data, bool corruptChecksum = false)
{
    std::vector<uchar> out = { 0x78, 0x01 };
    size_t pos = 0;
    do
    {
        const size_t n = std::min<size_t>(65535, data.size() - pos);
        const bool last = pos + n == data.size();
        out.push_back(last ? 1 : 0);
        out.push_back((uchar)(n & 0xFF));
        out.push_back((uchar)(n >> 8));
        out.push_back((uchar)(~n & 0xFF));
        out.push_back((uchar)((~n >> 8) & 0xFF));
        out.insert(out.end(), data.begin() + pos, data.begin() + pos + n);
        pos += n;
    } while (pos < data.size());
    uint32_t a = 1, b = 0;
    for (uchar c : data)
    {
        a = (a + c) % 65521;
        b = (b + a) % 65521;
    }
    uint32_t adler = (b << 16) | a;
    if (corruptChecksum)
        adler ^= 1;
    for (int i = 3; i >= 0; i--)
        out.push_back((uchar)(adler >> (8 * i)));
    return out;
}

static std::vector<uchar> compressedElement(const Enc& e, const std::vector<uchar>& raw, bool corrupt = false)
{
    const std::vector<uchar> z = zlibStored(raw, corrupt);
    std::vector<uchar> out;
    e.put(out, 15, 4);
    e.put(out, z.size(), 4);
    out.insert(out.end(), z.begin(), z.end());
    return out;
}

// a = [1 3 5; 2 4 6] (double class stored compactly as uint8) and names = {'ab'; 'c'}.
static std::vector<uchar> tinyFile(const Enc& e, bool compressNames)
{
    std::vector<uchar> f = e.header();
    Enc::append(f, e.matrix(6, { 2, 3 }, "a", e.element(2, { 1, 2, 3, 4, 5, 6 })));
    std::vector<uchar> ab, c;
    e.put(ab, 'a', 2);
    e.put(ab, 'b', 2);
    e.put(c, 'c', 2);
    std::vector<uchar> cells = e.matrix(4, { 1, 2 }, "", e.element(4, ab));
    Enc::append(cells, e.matrix(4, { 1, 1 }, "", e.small(4, c)));
    const std::vector<uchar> names = e.matrix(1, { 2, 1 }, "names", cells);
    Enc::append(f, compressNames ? compressedElement(e, names) : names);
    return f;
}

static void expectTinyContents(const MatFile& m)
{
    ASSERT_EQ(m.names(), std::vector<cv::String>({ "a", "names" }));
    EXPECT_EQ(m.matClass("a"), MatFile::CLASS_DOUBLE);
    EXPECT_EQ(m.size("a"), std::vector<int>({ 2, 3 }));
    Mat a = m.matrix("a");
    ASSERT_EQ(a.type(), CV_64FC1);
    Mat expected = (Mat_<double>(2, 3) << 1, 3, 5, 2, 4, 6);
    EXPECT_EQ(cv::norm(a, expected, NORM_INF), 0.0);
    EXPECT_EQ(m.strings("names"), std::vector<cv::String>({ "ab", "c" }));
}

TEST(ZSL_MatFile, handBuiltLittleEndianFile)
{
    Enc e;
    MatFile m;
    m.decode(tinyFile(e, false), "tiny");
    expectTinyContents(m);
    m.decode(tinyFile(e, true), "tiny-compressed");
    expectTinyContents(m);
}

TEST(ZSL_MatFile, handBuiltBigEndianFile)
{
    Enc e;
    e.bigEndian = true;
    const std::vector<uchar> bytes = tinyFile(e, true);
    ASSERT_EQ(bytes[126], 'M');
    ASSERT_EQ(bytes[127], 'I');
    MatFile m;
    m.decode(bytes, "big-endian");
    expectTinyContents(m);
}

TEST(ZSL_MatFile, bigEndianMultiByteNumbers)
{
    Enc e;
    e.bigEndian = true;
    std::vector<uchar> data;
    const double vals[] = { -1.5, 1e300 };
    for (double v : vals)
    {
        uint64_t bits;
        std::memcpy(&bits, &v, 8);
        e.put(data, bits, 8);
    }
    std::vector<uchar> f = e.header();
    Enc::append(f, e.matrix(6, { 1, 2 }, "d", e.element(9, data)));
    std::vector<uchar> i16;
    e.put(i16, (uint16_t)-300, 2);
    e.put(i16, 1000, 2);
    Enc::append(f, e.matrix(10, { 2, 1 }, "s", e.small(3, i16)));
    MatFile m;
    m.decode(f);
    EXPECT_EQ(m.matrix("d").at<double>(0, 0), -1.5);
    EXPECT_EQ(m.matrix("d").at<double>(0, 1), 1e300);
    Mat s = m.matrix("s");
    ASSERT_EQ(s.type(), CV_16SC1);
    EXPECT_EQ(s.at<short>(0), -300);
    EXPECT_EQ(s.at<short>(1), 1000);
}

TEST(ZSL_MatFile, writerHeaderAndTagBytes)
{
    MatFile m;
    m.setMatrix("x", Mat::eye(2, 2, CV_64F));
    const std::vector<uchar> bytes = m.encode();
    ASSERT_GT(bytes.size(), 136u);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 19), "MATLAB 5.0 MAT-file");
    EXPECT_EQ(bytes[124], 0x00); // version 0x0100, little-endian
    EXPECT_EQ(bytes[125], 0x01);
    EXPECT_EQ(bytes[126], 'I');
    EXPECT_EQ(bytes[127], 'M');
    EXPECT_EQ(bytes[128], 15); // miCOMPRESSED
    EXPECT_EQ(bytes[129] | bytes[130] | bytes[131], 0);
    uint32_t n;
    std::memcpy(&n, &bytes[132], 4);
    EXPECT_EQ((size_t)n, bytes.size() - 136);
    EXPECT_EQ(bytes[136], 0x78); // zlib stream
}

static Mat classTestValues(int cls)
{
    // Extremes of each class that a double (our exchange type) holds exactly.
    switch (cls)
    {
    case MatFile::CLASS_DOUBLE: return (Mat_<double>(2, 3) << -1e300, 0.1, DBL_MIN, std::nextafter(1.0, 2.0), -0.0, 1e-320);
    case MatFile::CLASS_SINGLE: return (Mat_<double>(2, 3) << -FLT_MAX, 0.1f, FLT_MIN, 1.0f + FLT_EPSILON, -7, 3);
    case MatFile::CLASS_INT8: return (Mat_<double>(2, 3) << -128, 127, 0, -1, 1, 5);
    case MatFile::CLASS_UINT8: return (Mat_<double>(2, 3) << 0, 255, 1, 2, 3, 128);
    case MatFile::CLASS_INT16: return (Mat_<double>(2, 3) << -32768, 32767, 0, -1, 1, 300);
    case MatFile::CLASS_UINT16: return (Mat_<double>(2, 3) << 0, 65535, 1, 2, 3, 40000);
    case MatFile::CLASS_INT32: return (Mat_<double>(2, 3) << INT_MIN, INT_MAX, 0, -1, 1, 70000);
    case MatFile::CLASS_UINT32: return (Mat_<double>(2, 3) << 0, 4294967295.0, 1, 2, 3, 3000000000.0);
    case MatFile::CLASS_INT64: return (Mat_<double>(2, 3) << -9007199254740992.0, 9007199254740992.0, 0, -1, 1, -5e15);
    case MatFile::CLASS_UINT64: return (Mat_<double>(2, 3) << 0, 9007199254740992.0, 1, 2, 3, 5e15);
    }
    return Mat();
}

TEST(ZSL_MatFile, roundTripOfEveryNumericClassThroughAFile)
{
    const std::string path = zsltest::tempDir() + "/all.mat";
    const int expectedDepth[] = { -1, -1, -1, -1, -1, -1, CV_64F, CV_32F, CV_8S, CV_8U, CV_16S, CV_16U, CV_32S,
                                  CV_64F, CV_64F, CV_64F };
    MatFile out;
    for (int cls = MatFile::CLASS_DOUBLE; cls <= MatFile::CLASS_UINT64; cls++)
        out.setMatrix(cv::format("v%d", cls), classTestValues(cls), cls);
    out.setMatrix("scalar", Mat(1, 1, CV_8S, Scalar(-3))); // 1 byte: small data element format
    out.setMatrix("empty", Mat());
    out.write(path);

    MatFile in(path);
    ASSERT_EQ(in.names().size(), 12u);
    for (int cls = MatFile::CLASS_DOUBLE; cls <= MatFile::CLASS_UINT64; cls++)
    {
        const std::string name = cv::format("v%d", cls);
        SCOPED_TRACE(name);
        EXPECT_EQ(in.matClass(name), cls);
        EXPECT_EQ(in.size(name), std::vector<int>({ 2, 3 }));
        Mat native = in.matrix(name);
        EXPECT_EQ(native.depth(), expectedDepth[cls]);
        Mat expected = classTestValues(cls);
        if (cls == MatFile::CLASS_SINGLE)
            expected.convertTo(expected, CV_32F);
        Mat got;
        native.convertTo(got, expected.depth());
        expected.convertTo(expected, got.depth());
        EXPECT_EQ(cv::norm(got, expected, NORM_INF), 0.0);
        if (cls == MatFile::CLASS_DOUBLE) // -0.0 and denormals survive bit for bit
            EXPECT_EQ(std::memcmp(native.ptr(), Mat(classTestValues(cls)).ptr(), 48), 0);
    }
    EXPECT_EQ(in.matrix("scalar").at<schar>(0), -3);
    EXPECT_EQ(in.matClass("scalar"), MatFile::CLASS_INT8);
    EXPECT_TRUE(in.matrix("empty").empty());
    // Requested depths are converted (saturating).
    Mat asFloat = in.matrix("v6", CV_32F);
    EXPECT_EQ(asFloat.type(), CV_32FC1);
    EXPECT_FLOAT_EQ(asFloat.at<float>(0, 1), 0.1f);
}

TEST(ZSL_MatFile, defaultClassFollowsTheDepth)
{
    MatFile m;
    const int depths[] = { CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F };
    const int classes[] = { MatFile::CLASS_UINT8, MatFile::CLASS_INT8, MatFile::CLASS_UINT16, MatFile::CLASS_INT16,
                            MatFile::CLASS_INT32, MatFile::CLASS_SINGLE, MatFile::CLASS_DOUBLE };
    for (int i = 0; i < 7; i++)
    {
        Mat x(3, 2, depths[i]);
        randu(x, 0, 100);
        m.setMatrix("x", x);
        MatFile r;
        r.decode(m.encode());
        EXPECT_EQ(r.matClass("x"), classes[i]);
        Mat y = r.matrix("x");
        ASSERT_EQ(y.type(), x.type());
        EXPECT_EQ(cv::norm(x, y, NORM_INF), 0.0);
    }
}

TEST(ZSL_MatFile, stringsRoundTripIncludingUnicodeAndEmpty)
{
    const std::vector<cv::String> names = { "antelope", "grizzly+bear", "", "Z\xC3\xBCrich", "\xE6\x97\xA5\xE6\x9C\xAC",
                                            "\xF0\x9F\x90\xBB" /* U+1F43B, a surrogate pair in UTF-16 */ };
    MatFile m;
    m.setStrings("allclasses_names", names);
    MatFile r;
    r.decode(m.encode());
    EXPECT_EQ(r.matClass("allclasses_names"), MatFile::CLASS_CELL);
    EXPECT_EQ(r.size("allclasses_names"), std::vector<int>({ 6, 1 }));
    EXPECT_EQ(r.strings("allclasses_names"), names);
    EXPECT_THROW(m.setStrings("bad", { std::string("\xFF\xFE") }), cv::Exception); // not UTF-8
}

TEST(ZSL_MatFile, accessorErrors)
{
    MatFile m;
    m.setMatrix("x", Mat::ones(2, 2, CV_32F));
    m.setStrings("s", { "a" });
    EXPECT_TRUE(m.has("x"));
    EXPECT_FALSE(m.has("y"));
    EXPECT_THROW(m.matrix("y"), cv::Exception);
    EXPECT_THROW(m.matrix("s"), cv::Exception);
    EXPECT_THROW(m.strings("x"), cv::Exception);
    EXPECT_THROW(m.setMatrix("1x", Mat::ones(1, 1, CV_64F)), cv::Exception);
    EXPECT_THROW(m.setMatrix("a b", Mat::ones(1, 1, CV_64F)), cv::Exception);
    EXPECT_THROW(m.setMatrix(std::string(64, 'a'), Mat::ones(1, 1, CV_64F)), cv::Exception);
    EXPECT_THROW(m.setMatrix("c3", Mat::ones(2, 2, CV_32FC3)), cv::Exception);
    // Integer classes never round or wrap silently.
    EXPECT_THROW(m.setMatrix("u", Mat((Mat_<double>(1, 2) << 1, 256)), MatFile::CLASS_UINT8), cv::Exception);
    EXPECT_THROW(m.setMatrix("u", Mat((Mat_<double>(1, 2) << 1, 1.5)), MatFile::CLASS_INT32), cv::Exception);
    EXPECT_THROW(m.setMatrix("u", Mat((Mat_<double>(1, 1) << std::nan(""))), MatFile::CLASS_INT64), cv::Exception);
    EXPECT_THROW(m.setMatrix("u", Mat((Mat_<double>(1, 1) << -1)), MatFile::CLASS_UINT64), cv::Exception);
    EXPECT_THROW(m.setMatrix("u", Mat::ones(1, 1, CV_64F), MatFile::CLASS_CELL), cv::Exception);
    m.remove("x");
    EXPECT_EQ(m.names(), std::vector<cv::String>({ "s" }));
    m.clear();
    EXPECT_TRUE(m.names().empty());
}

TEST(ZSL_MatFile, int64BeyondDoublePrecisionIsNotReturnedInexactly)
{
    Enc e;
    std::vector<uchar> data;
    e.put(data, (uint64_t)1 << 60, 8);
    std::vector<uchar> f = e.header();
    Enc::append(f, e.matrix(14, { 1, 1 }, "big", e.element(12, data)));
    MatFile m;
    m.decode(f);
    EXPECT_THROW(m.matrix("big"), cv::Exception);
    EXPECT_EQ(m.matrix("big", CV_64F).at<double>(0), std::ldexp(1.0, 60)); // explicitly requested
}

TEST(ZSL_MatFile, unsupportedClassesAreListedButNotRead)
{
    Enc e;
    std::vector<uchar> f = e.header();
    // A 1x1 struct with no fields: the reader keeps its name and class, matrix() refuses it.
    Enc::append(f, e.matrix(2, { 1, 1 }, "st", e.element(5, e.u32s({ 32 }))));
    std::vector<uchar> re = e.element(9, std::vector<uchar>(8, 0));
    Enc::append(re, e.element(9, std::vector<uchar>(8, 0)));
    Enc::append(f, e.matrix(6, { 1, 1 }, "cx", re, 0x800)); // complex double
    MatFile m;
    m.decode(f);
    EXPECT_EQ(m.names(), std::vector<cv::String>({ "st", "cx" }));
    EXPECT_EQ(m.matClass("st"), MatFile::CLASS_STRUCT);
    EXPECT_THROW(m.matrix("st"), cv::Exception);
    EXPECT_THROW(m.matrix("cx"), cv::Exception);
}

//--------------------------------------------------------------------------------------------------
// Hostile and broken input: always a cv::Exception that says where, never a crash or a huge allocation.

static std::string decodeError(const std::vector<uchar>& bytes, const std::string& source = "hostile.mat")
{
    try
    {
        MatFile m;
        m.decode(bytes, source);
    }
    catch (const cv::Exception& ex)
    {
        return ex.what();
    }
    return std::string();
}

TEST(ZSL_MatFile, hostileDimensionsAreRejectedBeforeAllocation)
{
    Enc e;
    std::vector<uchar> f = e.header();
    // 10^6 x 10^6 = 10^12 doubles claimed with 8 bytes of data.
    Enc::append(f, e.matrix(6, { 1000000, 1000000 }, "huge", e.element(9, std::vector<uchar>(8, 0))));
    const std::string msg = decodeError(f);
    EXPECT_NE(msg.find("hostile.mat"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'huge'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("byte offset"), std::string::npos) << msg;

    // The same claim for a data element's size.
    std::vector<uchar> g = e.header();
    Enc::append(g, e.matrix(6, { 1000000, 1000000 }, "huge", e.element(9, std::vector<uchar>(8, 0), 0xFFFFFFF0u)));
    EXPECT_NE(decodeError(g).find("claims"), std::string::npos);

    // A cell claiming 2^31-1 x 2^31-1 elements.
    std::vector<uchar> c = e.header();
    Enc::append(c, e.matrix(1, { INT_MAX, INT_MAX }, "cells", {}));
    EXPECT_NE(decodeError(c).find("'cells'"), std::string::npos);

    // Negative and overflowing dimensions.
    std::vector<uchar> n = e.header();
    Enc::append(n, e.matrix(6, { -1, 2 }, "neg", {}));
    EXPECT_NE(decodeError(n).find("negative dimension"), std::string::npos);
    std::vector<uchar> o = e.header();
    Enc::append(o, e.matrix(6, { INT_MAX, INT_MAX, INT_MAX, INT_MAX }, "ovf", {}));
    EXPECT_NE(decodeError(o).find("overflows"), std::string::npos);
}

TEST(ZSL_MatFile, hostileCompressedSizesAreRejected)
{
    Enc e;
    // The inner tag claims 4 GiB from a few dozen compressed bytes.
    std::vector<uchar> raw = e.u32s({ 14, 0xFFFFFFF0u });
    raw.resize(40, 0);
    std::vector<uchar> f = e.header();
    Enc::append(f, compressedElement(e, raw));
    EXPECT_NE(decodeError(f).find("compressed"), std::string::npos) << decodeError(f);

    // A plausible claim (4096 bytes) but only 40 bytes of output.
    raw = e.u32s({ 14, 4096 });
    raw.resize(40, 0);
    std::vector<uchar> g = e.header();
    Enc::append(g, compressedElement(e, raw));
    EXPECT_NE(decodeError(g).find("declares"), std::string::npos) << decodeError(g);

    // A wrong Adler-32 checksum.
    std::vector<uchar> h = e.header();
    Enc::append(h, compressedElement(e, e.matrix(6, { 1, 1 }, "x", e.element(9, std::vector<uchar>(8, 0))), true));
    EXPECT_NE(decodeError(h).find("'"), std::string::npos);
    EXPECT_FALSE(decodeError(h).empty());

    // Not a zlib stream at all.
    std::vector<uchar> z = e.header();
    Enc::append(z, e.element(15, std::vector<uchar>(64, 0xAB)));
    EXPECT_NE(decodeError(z).find("zlib"), std::string::npos) << decodeError(z);

    // Compressed element holding something other than miMATRIX.
    std::vector<uchar> t = e.header();
    Enc::append(t, compressedElement(e, e.element(9, std::vector<uchar>(8, 0))));
    EXPECT_NE(decodeError(t).find("miMATRIX"), std::string::npos);
}

TEST(ZSL_MatFile, badHeadersAndTags)
{
    Enc e;
    EXPECT_NE(decodeError(std::vector<uchar>(20, 'M')).find("too short"), std::string::npos);
    std::vector<uchar> v4(200, 0);
    EXPECT_NE(decodeError(v4).find("level-5"), std::string::npos);
    std::vector<uchar> endian = e.header();
    endian[126] = 'X';
    EXPECT_NE(decodeError(endian).find("endian"), std::string::npos);
    std::vector<uchar> v73 = e.header();
    v73[124] = 0x00;
    v73[125] = 0x02;
    EXPECT_NE(decodeError(v73).find("7.3"), std::string::npos);
    std::vector<uchar> hdf(1024, 0);
    std::memcpy(hdf.data(), "MATLAB 7.3 MAT-file", 19);
    std::memcpy(hdf.data() + 512, "\x89HDF\r\n\x1a\n", 8);
    EXPECT_NE(decodeError(hdf).find("HDF5"), std::string::npos);

    std::vector<uchar> badTop = e.header();
    Enc::append(badTop, e.element(3, std::vector<uchar>(8, 0)));
    EXPECT_NE(decodeError(badTop).find("type 3"), std::string::npos);
    std::vector<uchar> badSmall = e.header();
    Enc::append(badSmall, e.u32s({ 14 | (7u << 16), 0 }));
    EXPECT_NE(decodeError(badSmall).find("small data element"), std::string::npos);
    std::vector<uchar> badFlags = e.header();
    Enc::append(badFlags, e.element(14, e.element(5, e.u32s({ 6, 0 }))));
    EXPECT_NE(decodeError(badFlags).find("array flags"), std::string::npos);
    std::vector<uchar> badClass = e.header();
    Enc::append(badClass, e.matrix(99, { 1, 1 }, "x", {}));
    EXPECT_NE(decodeError(badClass).find("invalid array class"), std::string::npos);
    std::vector<uchar> wrongCount = e.header();
    Enc::append(wrongCount, e.matrix(6, { 2, 2 }, "x", e.element(9, std::vector<uchar>(24, 0))));
    EXPECT_NE(decodeError(wrongCount).find("4 elements"), std::string::npos);
    std::vector<uchar> dup = e.header();
    Enc::append(dup, e.matrix(6, { 0, 0 }, "x", {}));
    Enc::append(dup, e.matrix(6, { 0, 0 }, "x", {}));
    EXPECT_NE(decodeError(dup).find("same name"), std::string::npos);

    // Cells nested far deeper than any real file.
    std::vector<uchar> nested = e.matrix(6, { 0, 0 }, "", {});
    for (int i = 0; i < 100; i++)
        nested = e.matrix(1, { 1, 1 }, i == 99 ? "deep" : "", nested);
    std::vector<uchar> deep = e.header();
    Enc::append(deep, nested);
    EXPECT_NE(decodeError(deep).find("nested"), std::string::npos);

    EXPECT_THROW(MatFile("/nonexistent/dir/x.mat"), cv::Exception);
}

// Every prefix / corrupted copy either reads or throws cv::Exception; nothing else may happen.
static void fuzzBytes(const std::vector<uchar>& bytes, size_t stride, int& thrown)
{
    for (size_t cut = 0; cut < bytes.size(); cut += stride)
    {
        std::vector<uchar> t(bytes.begin(), bytes.begin() + cut);
        try { MatFile m; m.decode(t, "truncated"); }
        catch (const cv::Exception&) { thrown++; }
    }
    for (size_t at = 0; at < bytes.size(); at += stride)
        for (uchar mask : { (uchar)0x01, (uchar)0x80, (uchar)0xFF })
        {
            std::vector<uchar> t = bytes;
            t[at] ^= mask;
            try
            {
                MatFile m;
                m.decode(t, "flipped");
                for (const cv::String& n : m.names()) // reading the values must be safe too
                {
                    try { m.matrix(n); } catch (const cv::Exception&) {}
                    try { m.strings(n); } catch (const cv::Exception&) {}
                }
            }
            catch (const cv::Exception&) { thrown++; }
        }
}

TEST(ZSL_MatFile, truncatedAndCorruptedCopiesNeverCrash)
{
    Enc e;
    int thrown = 0;
    fuzzBytes(tinyFile(e, false), 1, thrown);
    fuzzBytes(tinyFile(e, true), 1, thrown);
    MatFile m;
    for (int cls = MatFile::CLASS_DOUBLE; cls <= MatFile::CLASS_UINT64; cls++)
        m.setMatrix(cv::format("v%d", cls), classTestValues(cls), cls);
    m.setStrings("names", { "zebra", "", "blue+whale" });
    const std::vector<uchar> written = m.encode();
    fuzzBytes(written, 1, thrown);
    EXPECT_GT(thrown, (int)written.size()); // most corruptions are detected (Adler-32, tags)
    // Every strict prefix of an uncompressed file that cuts into an element must be rejected.
    const std::vector<uchar> tiny = tinyFile(e, false);
    for (size_t cut = 129; cut < tiny.size(); cut++)
        if (cut != 128 + 64) // 64 = size of the first element: that prefix is a valid file with one variable
            EXPECT_THROW({ MatFile t; t.decode(std::vector<uchar>(tiny.begin(), tiny.begin() + cut)); }, cv::Exception)
                << "cut at " << cut;
}

//--------------------------------------------------------------------------------------------------
// The real GBU files (skipped when ../shared/data/gbu is absent).

static MatFile loadShared(const std::string& relative)
{
    const std::string path = zsltest::sharedDataPath("gbu/" + relative);
    if (path.empty())
        return MatFile();
    return MatFile(path);
}

#define SKIP_IF_ABSENT(relative) \
    if (zsltest::sharedDataPath("gbu/" relative).empty()) GTEST_SKIP() << "gbu/" relative " not available"

TEST(ZSL_MatFile, realAwa2)
{
    SKIP_IF_ABSENT("AWA2/att_splits.mat");
    MatFile m = loadShared("AWA2/att_splits.mat");
    EXPECT_EQ(m.names(), std::vector<cv::String>({ "allclasses_names", "att", "original_att", "test_seen_loc",
                                                   "test_unseen_loc", "train_loc", "trainval_loc", "val_loc" }));
    EXPECT_EQ(m.size("att"), std::vector<int>({ 85, 50 }));
    EXPECT_EQ(m.size("original_att"), std::vector<int>({ 85, 50 }));
    EXPECT_EQ(m.size("trainval_loc"), std::vector<int>({ 23527, 1 }));
    EXPECT_EQ(m.size("train_loc"), std::vector<int>({ 20218, 1 }));
    EXPECT_EQ(m.size("val_loc"), std::vector<int>({ 9191, 1 }));
    EXPECT_EQ(m.size("test_seen_loc"), std::vector<int>({ 5882, 1 }));
    EXPECT_EQ(m.size("test_unseen_loc"), std::vector<int>({ 7913, 1 }));
    const std::vector<cv::String> names = m.strings("allclasses_names");
    ASSERT_EQ(names.size(), 50u);
    EXPECT_EQ(names[0], "antelope");
    EXPECT_EQ(names[1], "grizzly+bear");
    EXPECT_EQ(names[49], "dolphin");
    // att is original_att with unit-norm columns.
    Mat att = m.matrix("att"), orig = m.matrix("original_att");
    ASSERT_EQ(att.type(), CV_64FC1);
    EXPECT_EQ(orig.at<double>(4, 0), 12.34); // antelope's 5th predicate, as in predicate-matrix-continuous.txt
    for (int c = 0; c < 50; c++)
    {
        EXPECT_NEAR(cv::norm(att.col(c)), 1.0, 1e-9) << names[c];
        Mat scaled = orig.col(c) / cv::norm(orig.col(c));
        EXPECT_LT(cv::norm(scaled, att.col(c), NORM_INF), 1e-9) << names[c];
    }
    // Locations are 1-based integers and the final train/test sets do not overlap.
    Mat tv = m.matrix("trainval_loc"), ts = m.matrix("test_seen_loc");
    double lo, hi;
    cv::minMaxLoc(tv, &lo, &hi);
    EXPECT_GE(lo, 1);
    EXPECT_LE(hi, 37322); // AwA2 has 37322 images
    std::vector<double> a(tv.begin<double>(), tv.end<double>()), b(ts.begin<double>(), ts.end<double>());
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    std::vector<double> common;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
    EXPECT_TRUE(common.empty());
}

TEST(ZSL_MatFile, realAwa1)
{
    SKIP_IF_ABSENT("AWA1/att_splits.mat");
    MatFile m = loadShared("AWA1/att_splits.mat");
    EXPECT_EQ(m.size("att"), std::vector<int>({ 85, 50 }));
    EXPECT_EQ(m.size("trainval_loc"), std::vector<int>({ 19832, 1 }));
    EXPECT_EQ(m.size("test_seen_loc"), std::vector<int>({ 4958, 1 }));
    EXPECT_EQ(m.size("test_unseen_loc"), std::vector<int>({ 5685, 1 }));
    EXPECT_EQ(m.strings("allclasses_names")[0], "antelope");
}

TEST(ZSL_MatFile, realSun)
{
    SKIP_IF_ABSENT("SUN/att_splits.mat");
    MatFile m = loadShared("SUN/att_splits.mat");
    EXPECT_EQ(m.size("att"), std::vector<int>({ 102, 717 }));
    EXPECT_EQ(m.size("trainval_loc"), std::vector<int>({ 10320, 1 }));
    EXPECT_EQ(m.size("test_seen_loc"), std::vector<int>({ 2580, 1 }));
    EXPECT_EQ(m.size("test_unseen_loc"), std::vector<int>({ 1440, 1 }));
    const std::vector<cv::String> names = m.strings("allclasses_names");
    ASSERT_EQ(names.size(), 717u);
    EXPECT_EQ(names.front(), "abbey");
    EXPECT_EQ(names.back(), "zoo");
}

TEST(ZSL_MatFile, realFlo)
{
    SKIP_IF_ABSENT("FLO/att_splits.mat");
    MatFile m = loadShared("FLO/att_splits.mat");
    EXPECT_EQ(m.size("att"), std::vector<int>({ 1024, 102 }));
    EXPECT_FALSE(m.has("allclasses_names"));
    EXPECT_EQ(m.matrix("att").type(), CV_64FC1);
    for (const char* loc : { "trainval_loc", "train_loc", "val_loc", "test_seen_loc", "test_unseen_loc" })
        EXPECT_TRUE(m.has(loc)) << loc;
}

TEST(ZSL_MatFile, realCubWithUint16Locations)
{
    SKIP_IF_ABSENT("CUB/sent_splits.mat");
    MatFile m = loadShared("CUB/sent_splits.mat");
    EXPECT_EQ(m.size("att"), std::vector<int>({ 1024, 200 }));
    EXPECT_EQ(m.strings("allclasses_names").size(), 200u);
    for (const char* loc : { "trainval_loc", "train_loc", "val_loc", "test_seen_loc", "test_unseen_loc" })
    {
        EXPECT_EQ(m.matClass(loc), MatFile::CLASS_UINT16) << loc;
        EXPECT_EQ(m.matrix(loc).type(), CV_16UC1) << loc;
    }
    EXPECT_EQ(m.size("trainval_loc"), std::vector<int>({ 7057, 1 }));
    EXPECT_EQ(m.size("test_unseen_loc"), std::vector<int>({ 2967, 1 }));
}

TEST(ZSL_MatFile, realFileSurvivesRewriteAndCorruption)
{
    SKIP_IF_ABSENT("AWA2/att_splits.mat");
    const std::string path = zsltest::sharedDataPath("gbu/AWA2/att_splits.mat");
    MatFile m(path);
    // Our writer's output reads back identically.
    MatFile r;
    r.decode(m.encode());
    ASSERT_EQ(r.names(), m.names());
    for (const cv::String& n : m.names())
    {
        if (m.matClass(n) == MatFile::CLASS_CELL)
            EXPECT_EQ(r.strings(n), m.strings(n));
        else
            EXPECT_EQ(cv::norm(r.matrix(n), m.matrix(n), NORM_INF), 0.0) << n;
    }
    std::ifstream f(path, std::ios::binary);
    std::vector<uchar> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    int thrown = 0;
    fuzzBytes(bytes, 997, thrown);
    EXPECT_GT(thrown, 0);
}

}} // namespace
