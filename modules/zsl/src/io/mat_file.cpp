// This file is part of the opencv_zsl module (cv::zsl).
// MATLAB level-5 MAT-file reader/writer. Format: "MAT-File Format", The MathWorks, R2019b.
#include "precomp.hpp"
#include "opencv2/zsl/mat_file.hpp"
#include "opencv2/zsl/atomic_file.hpp"
#include "io/input_file.hpp"

#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <type_traits>
#include <unordered_map>
#include <zlib.h>

namespace cv {
namespace zsl {

namespace {

enum MiType
{
    miINT8 = 1, miUINT8 = 2, miINT16 = 3, miUINT16 = 4, miINT32 = 5, miUINT32 = 6, miSINGLE = 7,
    miDOUBLE = 9, miINT64 = 12, miUINT64 = 13, miMATRIX = 14, miCOMPRESSED = 15, miUTF8 = 16,
    miUTF16 = 17, miUTF32 = 18
};

const int kHeaderSize = 128;
const int kMaxNesting = 32;           // cells inside cells: deeper is hostile, not data
const double kMaxExactInteger = 9007199254740992.0; // 2^53
// zlib's deflate cannot expand data by more than this factor (RFC 1950/1951 limit is ~1032:1).
const uint64_t kMaxInflateRatio = 1032;

bool hostIsBigEndian()
{
    const uint16_t probe = 1;
    uchar first;
    std::memcpy(&first, &probe, 1);
    return first == 0;
}

// Size in bytes of one element of a numeric data type, 0 for non-numeric types.
int miTypeSize(uint32_t type)
{
    switch (type)
    {
    case miINT8: case miUINT8: case miUTF8: return 1;
    case miINT16: case miUINT16: case miUTF16: return 2;
    case miINT32: case miUINT32: case miSINGLE: case miUTF32: return 4;
    case miDOUBLE: case miINT64: case miUINT64: return 8;
    default: return 0;
    }
}

bool isNumericClass(int cls) { return cls >= MatFile::CLASS_DOUBLE && cls <= MatFile::CLASS_UINT64; }

int classElemSize(int cls)
{
    switch (cls)
    {
    case MatFile::CLASS_DOUBLE: case MatFile::CLASS_INT64: case MatFile::CLASS_UINT64: return 8;
    case MatFile::CLASS_SINGLE: case MatFile::CLASS_INT32: case MatFile::CLASS_UINT32: return 4;
    case MatFile::CLASS_INT16: case MatFile::CLASS_UINT16: return 2;
    case MatFile::CLASS_INT8: case MatFile::CLASS_UINT8: return 1;
    default: return 0;
    }
}

// Data type MATLAB uses to store a class.
uint32_t classMiType(int cls)
{
    switch (cls)
    {
    case MatFile::CLASS_DOUBLE: return miDOUBLE;
    case MatFile::CLASS_SINGLE: return miSINGLE;
    case MatFile::CLASS_INT8: return miINT8;
    case MatFile::CLASS_UINT8: return miUINT8;
    case MatFile::CLASS_INT16: return miINT16;
    case MatFile::CLASS_UINT16: return miUINT16;
    case MatFile::CLASS_INT32: return miINT32;
    case MatFile::CLASS_UINT32: return miUINT32;
    case MatFile::CLASS_INT64: return miINT64;
    case MatFile::CLASS_UINT64: return miUINT64;
    default: return 0;
    }
}

// OpenCV depth holding a class exactly, -1 for the classes OpenCV 4 has no depth for.
int classDepth(int cls)
{
    switch (cls)
    {
    case MatFile::CLASS_DOUBLE: return CV_64F;
    case MatFile::CLASS_SINGLE: return CV_32F;
    case MatFile::CLASS_INT8: return CV_8S;
    case MatFile::CLASS_UINT8: return CV_8U;
    case MatFile::CLASS_INT16: return CV_16S;
    case MatFile::CLASS_UINT16: return CV_16U;
    case MatFile::CLASS_INT32: return CV_32S;
    default: return -1;
    }
}

const char* className(int cls)
{
    static const char* const names[] = { "unknown", "cell", "struct", "object", "char", "sparse", "double",
                                         "single", "int8", "uint8", "int16", "uint16", "int32", "uint32",
                                         "int64", "uint64", "function handle", "opaque" };
    return cls >= 0 && cls <= 17 ? names[cls] : "invalid";
}

void byteSwap(uchar* p, int n)
{
    std::reverse(p, p + n);
}

template <typename T> T loadValue(const uchar* p, bool swap)
{
    T v;
    if (swap)
    {
        uchar tmp[sizeof(T)];
        std::memcpy(tmp, p, sizeof(T));
        byteSwap(tmp, (int)sizeof(T));
        std::memcpy(&v, tmp, sizeof(T));
    }
    else
        std::memcpy(&v, p, sizeof(T));
    return v;
}

// Value conversion without undefined behaviour: NaN -> 0 and saturation for integer targets.
template <typename Dst, typename Src> Dst safeCast(Src v)
{
    if constexpr (std::is_floating_point<Dst>::value)
    {
        if constexpr (std::is_same<Dst, float>::value && std::is_same<Src, double>::value)
        {
            if (v > (double)FLT_MAX) return std::numeric_limits<float>::infinity();
            if (v < -(double)FLT_MAX) return -std::numeric_limits<float>::infinity();
        }
        return static_cast<Dst>(v);
    }
    else if constexpr (std::is_floating_point<Src>::value)
    {
        if (std::isnan(v)) return 0;
        const long double lv = v; // 2^63 and 2^64 are exact in long double
        if (lv <= (long double)std::numeric_limits<Dst>::min()) return std::numeric_limits<Dst>::min();
        if (lv >= (long double)std::numeric_limits<Dst>::max()) return std::numeric_limits<Dst>::max();
        return static_cast<Dst>(v);
    }
    else
    {
        // Integer to integer: compare in the wider signed/unsigned domain.
        if constexpr (std::is_signed<Src>::value)
        {
            if (v < 0)
            {
                if constexpr (std::is_signed<Dst>::value)
                    return (long long)v < (long long)std::numeric_limits<Dst>::min() ? std::numeric_limits<Dst>::min()
                                                                                     : static_cast<Dst>(v);
                else
                    return 0;
            }
        }
        if ((unsigned long long)v > (unsigned long long)std::numeric_limits<Dst>::max())
            return std::numeric_limits<Dst>::max();
        return static_cast<Dst>(v);
    }
}

template <typename Dst, typename Src>
void convertElements(const uchar* src, size_t n, bool swap, Dst* dst)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = safeCast<Dst>(loadValue<Src>(src + i * sizeof(Src), swap));
}

template <typename Dst>
void convertFromMiType(uint32_t type, const uchar* src, size_t n, bool swap, Dst* dst)
{
    switch (type)
    {
    case miINT8: convertElements<Dst, int8_t>(src, n, swap, dst); break;
    case miUINT8: convertElements<Dst, uint8_t>(src, n, swap, dst); break;
    case miINT16: convertElements<Dst, int16_t>(src, n, swap, dst); break;
    case miUINT16: convertElements<Dst, uint16_t>(src, n, swap, dst); break;
    case miINT32: convertElements<Dst, int32_t>(src, n, swap, dst); break;
    case miUINT32: convertElements<Dst, uint32_t>(src, n, swap, dst); break;
    case miSINGLE: convertElements<Dst, float>(src, n, swap, dst); break;
    case miDOUBLE: convertElements<Dst, double>(src, n, swap, dst); break;
    case miINT64: convertElements<Dst, int64_t>(src, n, swap, dst); break;
    case miUINT64: convertElements<Dst, uint64_t>(src, n, swap, dst); break;
    default: CV_Error(Error::StsInternal, "MatFile: unexpected data type");
    }
}

// Converts n elements of data type `type` into the storage of class `cls` (host byte order).
void convertToClass(int cls, uint32_t type, const uchar* src, size_t n, bool swap, uchar* dst)
{
    if (!swap && type == classMiType(cls))
    {
        if (n)
            std::memcpy(dst, src, n * classElemSize(cls)); // the common case: stored as its own class
        return;
    }
    switch (cls)
    {
    case MatFile::CLASS_DOUBLE: convertFromMiType(type, src, n, swap, (double*)dst); break;
    case MatFile::CLASS_SINGLE: convertFromMiType(type, src, n, swap, (float*)dst); break;
    case MatFile::CLASS_INT8: convertFromMiType(type, src, n, swap, (int8_t*)dst); break;
    case MatFile::CLASS_UINT8: convertFromMiType(type, src, n, swap, (uint8_t*)dst); break;
    case MatFile::CLASS_INT16: convertFromMiType(type, src, n, swap, (int16_t*)dst); break;
    case MatFile::CLASS_UINT16: convertFromMiType(type, src, n, swap, (uint16_t*)dst); break;
    case MatFile::CLASS_INT32: convertFromMiType(type, src, n, swap, (int32_t*)dst); break;
    case MatFile::CLASS_UINT32: convertFromMiType(type, src, n, swap, (uint32_t*)dst); break;
    case MatFile::CLASS_INT64: convertFromMiType(type, src, n, swap, (int64_t*)dst); break;
    case MatFile::CLASS_UINT64: convertFromMiType(type, src, n, swap, (uint64_t*)dst); break;
    default: CV_Error(Error::StsInternal, "MatFile: unexpected class");
    }
}

void appendUtf8(std::string& s, uint32_t cp)
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80)
        s += (char)cp;
    else if (cp < 0x800)
    {
        s += (char)(0xC0 | (cp >> 6));
        s += (char)(0x80 | (cp & 0x3F));
    }
    else if (cp < 0x10000)
    {
        s += (char)(0xE0 | (cp >> 12));
        s += (char)(0x80 | ((cp >> 6) & 0x3F));
        s += (char)(0x80 | (cp & 0x3F));
    }
    else
    {
        s += (char)(0xF0 | (cp >> 18));
        s += (char)(0x80 | ((cp >> 12) & 0x3F));
        s += (char)(0x80 | ((cp >> 6) & 0x3F));
        s += (char)(0x80 | (cp & 0x3F));
    }
}

// UTF-16 code units (MATLAB's char elements) to UTF-8; surrogate pairs are joined.
std::string utf16ToUtf8(const uint32_t* units, size_t n)
{
    std::string s;
    s.reserve(n);
    for (size_t i = 0; i < n; i++)
    {
        uint32_t u = units[i];
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF)
        {
            u = 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00);
            i++;
        }
        appendUtf8(s, u);
    }
    return s;
}

// Decodes UTF-8 into code points; returns false on malformed input.
bool decodeUtf8(const uchar* p, size_t n, std::vector<uint32_t>& out)
{
    for (size_t i = 0; i < n;)
    {
        const uchar c = p[i];
        int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > n)
            return false;
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (int k = 1; k < len; k++)
        {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        out.push_back(cp);
        i += len;
    }
    return true;
}

// UTF-8 to UTF-16 code units, as MATLAB stores char arrays.
std::vector<uint16_t> utf8ToUtf16(const std::string& s, const std::string& what)
{
    std::vector<uint32_t> cps;
    if (!decodeUtf8((const uchar*)s.data(), s.size(), cps))
        CV_Error(Error::StsBadArg, "MatFile: " + what + " is not valid UTF-8");
    std::vector<uint16_t> units;
    units.reserve(cps.size());
    for (uint32_t cp : cps)
    {
        if (cp >= 0x10000)
        {
            cp -= 0x10000;
            units.push_back((uint16_t)(0xD800 + (cp >> 10)));
            units.push_back((uint16_t)(0xDC00 + (cp & 0x3FF)));
        }
        else
            units.push_back((uint16_t)cp);
    }
    return units;
}

bool isValidVariableName(const std::string& name)
{
    if (name.empty() || name.size() > 63 || !std::isalpha((uchar)name[0]))
        return false;
    for (char c : name)
        if (!std::isalnum((uchar)c) && c != '_')
            return false;
    return true;
}

} // namespace

//==================================================================================================
// In-memory representation

namespace {

struct Variable
{
    int cls = MatFile::CLASS_DOUBLE;
    bool logical = false, complex = false;
    std::vector<int> dims{0, 0};
    std::vector<uchar> data;       // numeric: elements of the class's type, column-major, host byte order
    std::vector<uint32_t> chars;   // char: UTF-16 code units, column-major
    std::vector<Variable> cells;   // cell: elements, column-major

    size_t numel() const
    {
        size_t n = 1;
        for (int d : dims)
            n *= (size_t)d;
        return n;
    }
};

} // namespace

struct MatFile::Impl
{
    std::vector<std::pair<std::string, Variable>> vars;
    std::unordered_map<std::string, size_t> index;

    const Variable& get(const String& name, const char* caller) const
    {
        auto it = index.find(name);
        if (it == index.end())
            CV_Error(Error::StsObjectNotFound, cv::format("MatFile::%s: no variable called '%s'", caller, name.c_str()));
        return vars[it->second].second;
    }

    void set(const std::string& name, Variable&& v)
    {
        auto it = index.find(name);
        if (it != index.end())
            vars[it->second].second = std::move(v);
        else
        {
            index[name] = vars.size();
            vars.emplace_back(name, std::move(v));
        }
    }
};

//==================================================================================================
// Reading

namespace {

struct Context
{
    std::string file;
    std::string variable;                 // name (or "#k") of the top-level variable being read
    size_t compressedAt = std::string::npos; // file offset of the miCOMPRESSED element, if inside one
};

[[noreturn]] void fail(const Context& ctx, size_t offset, const std::string& what)
{
    std::string where = cv::format("byte offset %zu", offset);
    if (ctx.compressedAt != std::string::npos)
        where += cv::format(" of the uncompressed data of the element at byte offset %zu", ctx.compressedAt);
    CV_Error(Error::StsParseError, cv::format("MatFile: '%s', variable '%s', %s: %s", ctx.file.c_str(),
                                              ctx.variable.empty() ? "?" : ctx.variable.c_str(),
                                              where.c_str(), what.c_str()));
}

struct Tag
{
    uint32_t type = 0;
    uint32_t nbytes = 0;
    size_t pos = 0;      // where the tag starts
    size_t dataPos = 0;  // where its data starts
    size_t next = 0;     // where the next element starts (after padding)
};

class Parser
{
public:
    Parser(const uchar* data, bool swap, const Context& ctx)
        : data_(data), swap_(swap), ctx_(ctx) {}

    uint32_t u32(size_t pos) const { return loadValue<uint32_t>(data_ + pos, swap_); }

    // Reads the tag at pos; its data must end at or before `end`.
    Tag tag(size_t pos, size_t end) const
    {
        if (pos > end || end - pos < 8)
            fail(ctx_, pos, cv::format("truncated: a data element tag needs 8 bytes but %zu remain",
                                       pos > end ? (size_t)0 : end - pos));
        Tag t;
        t.pos = pos;
        const uint32_t w0 = u32(pos);
        if (w0 >> 16)
        {
            // Small data element: type and size share the first word, data in the second.
            t.type = w0 & 0xFFFF;
            t.nbytes = w0 >> 16;
            if (t.nbytes > 4)
                fail(ctx_, pos, cv::format("small data element claims %u bytes (at most 4 fit)", t.nbytes));
            t.dataPos = pos + 4;
            t.next = pos + 8;
        }
        else
        {
            t.type = w0;
            t.nbytes = u32(pos + 4);
            t.dataPos = pos + 8;
            if (t.nbytes > end - t.dataPos)
                fail(ctx_, pos, cv::format("data element of type %u claims %u bytes but only %zu remain",
                                           t.type, t.nbytes, end - t.dataPos));
            // Elements are padded to 8 bytes; a missing pad at the very end is tolerated.
            const size_t padded = ((size_t)t.nbytes + 7) & ~(size_t)7;
            t.next = std::min(t.dataPos + padded, end);
        }
        return t;
    }

    // Parses the contents of an miMATRIX element.
    void matrix(const Tag& mt, Variable& v, std::string* name, int depth)
    {
        if (depth > kMaxNesting)
            fail(ctx_, mt.pos, cv::format("cell arrays nested deeper than %d levels", kMaxNesting));
        if (mt.type != miMATRIX)
            fail(ctx_, mt.pos, cv::format("expected an miMATRIX element (type 14), found type %u", mt.type));
        const size_t end = mt.dataPos + mt.nbytes;
        if (mt.nbytes == 0)
        {
            // MATLAB writes empty cell elements as an miMATRIX without contents.
            v = Variable();
            return;
        }

        const Tag flags = tag(mt.dataPos, end);
        if (flags.type != miUINT32 || flags.nbytes != 8)
            fail(ctx_, flags.pos, cv::format("array flags must be 8 bytes of miUINT32, found type %u with %u bytes",
                                             flags.type, flags.nbytes));
        const uint32_t f = u32(flags.dataPos);
        v.cls = (int)(f & 0xFF);
        v.complex = (f & 0x800) != 0;
        v.logical = (f & 0x200) != 0;
        if (v.cls < MatFile::CLASS_CELL || v.cls > 17)
            fail(ctx_, flags.dataPos, cv::format("invalid array class %d", v.cls));

        const Tag dt = tag(flags.next, end);
        if (dt.type != miINT32 || dt.nbytes % 4 != 0 || dt.nbytes < 8)
            fail(ctx_, dt.pos, cv::format("dimensions must be at least two miINT32 values, found type %u with %u bytes",
                                          dt.type, dt.nbytes));
        // The name comes after the dimensions but is read first so that errors can name the variable.
        const Tag nt = tag(dt.next, end);
        if (nt.type != miINT8 && nt.type != miUINT8 && nt.type != miUTF8)
            fail(ctx_, nt.pos, cv::format("array name must be miINT8 text, found type %u", nt.type));
        if (name)
        {
            name->assign((const char*)data_ + nt.dataPos, nt.nbytes);
            if (!name->empty() && depth == 0)
                ctx_.variable = *name;
        }

        v.dims.resize(dt.nbytes / 4); // bounded by the bytes present
        uint64_t numel = 1;
        for (size_t i = 0; i < v.dims.size(); i++)
        {
            const int32_t d = loadValue<int32_t>(data_ + dt.dataPos + 4 * i, swap_);
            if (d < 0)
                fail(ctx_, dt.dataPos + 4 * i, cv::format("negative dimension %d", d));
            v.dims[i] = d;
        }
        if (std::find(v.dims.begin(), v.dims.end(), 0) != v.dims.end())
            numel = 0;
        else
            for (int d : v.dims)
            {
                // Every element needs at least one byte in the file, so a product beyond 2^48 is corrupt.
                if (numel > ((uint64_t)1 << 48) / (uint64_t)d)
                    fail(ctx_, dt.pos, "the product of the dimensions overflows");
                numel *= (uint64_t)d;
            }

        size_t pos = nt.next;
        if (isNumericClass(v.cls))
            numeric(v, numel, pos, end);
        else if (v.cls == MatFile::CLASS_CHAR)
            text(v, numel, pos, end);
        else if (v.cls == MatFile::CLASS_CELL)
        {
            // Each element takes at least an 8-byte tag: check before reserving.
            if (numel > (end - pos) / 8)
                fail(ctx_, pos, cv::format("cell claims %llu elements but only %zu bytes remain",
                                           (unsigned long long)numel, end - pos));
            v.cells.resize((size_t)numel);
            const std::string parent = ctx_.variable;
            for (size_t k = 0; k < v.cells.size(); k++)
            {
                ctx_.variable = cv::format("%s{%zu}", parent.c_str(), k + 1);
                const Tag et = tag(pos, end);
                matrix(et, v.cells[k], nullptr, depth + 1);
                pos = et.next;
            }
            ctx_.variable = parent;
        }
        // struct, object, sparse, function handle, opaque: kept as a name and a class only.
    }

private:
    void numeric(Variable& v, uint64_t numel, size_t pos, size_t end)
    {
        if (numel == 0 && pos >= end)
            return;
        const Tag rt = tag(pos, end);
        const int sz = miTypeSize(rt.type);
        if (sz == 0 || rt.type == miUTF8 || rt.type == miUTF16 || rt.type == miUTF32)
            fail(ctx_, rt.pos, cv::format("%s array with non-numeric data type %u", className(v.cls), rt.type));
        if (rt.nbytes % sz != 0 || rt.nbytes / sz != numel)
            fail(ctx_, rt.pos, cv::format("%s array of %llu elements has %u bytes of data type %u (%d bytes each)",
                                          className(v.cls), (unsigned long long)numel, rt.nbytes, rt.type, sz));
        // numel * classSize <= 8 * nbytes, and nbytes is within the buffer: the allocation is bounded.
        v.data.resize((size_t)numel * classElemSize(v.cls));
        convertToClass(v.cls, rt.type, data_ + rt.dataPos, (size_t)numel, swap_, v.data.data());
        if (v.complex)
        {
            const Tag it = tag(rt.next, end);
            if (miTypeSize(it.type) == 0 || it.nbytes / std::max(1, miTypeSize(it.type)) != numel)
                fail(ctx_, it.pos, "imaginary part does not match the real part");
        }
    }

    void text(Variable& v, uint64_t numel, size_t pos, size_t end)
    {
        if (numel == 0 && pos >= end)
            return;
        const Tag ct = tag(pos, end);
        const uchar* p = data_ + ct.dataPos;
        if (ct.type == miUTF8)
        {
            std::vector<uint32_t> cps;
            if (!decodeUtf8(p, ct.nbytes, cps))
                fail(ctx_, ct.dataPos, "malformed UTF-8 in a char array");
            for (uint32_t cp : cps)
            {
                if (cp >= 0x10000) // outside the BMP: MATLAB holds it as two elements
                {
                    cp -= 0x10000;
                    v.chars.push_back(0xD800 + (cp >> 10));
                    v.chars.push_back(0xDC00 + (cp & 0x3FF));
                }
                else
                    v.chars.push_back(cp);
            }
        }
        else
        {
            const int sz = miTypeSize(ct.type);
            if (sz == 0 || ct.type == miSINGLE || ct.type == miDOUBLE || ct.type == miINT64 || ct.type == miUINT64)
                fail(ctx_, ct.pos, cv::format("char array with unsupported data type %u", ct.type));
            if (ct.nbytes % sz != 0 || ct.nbytes / sz != numel)
                fail(ctx_, ct.pos, cv::format("char array of %llu elements has %u bytes of data type %u",
                                              (unsigned long long)numel, ct.nbytes, ct.type));
            v.chars.resize((size_t)numel);
            for (size_t i = 0; i < v.chars.size(); i++)
                v.chars[i] = sz == 1 ? p[i] : sz == 2 ? loadValue<uint16_t>(p + 2 * i, swap_)
                                                      : loadValue<uint32_t>(p + 4 * i, swap_);
        }
        if (v.chars.size() != numel)
            fail(ctx_, ct.pos, cv::format("char array of %llu elements holds %zu characters",
                                          (unsigned long long)numel, v.chars.size()));
    }

    const uchar* data_;
    bool swap_;
    Context ctx_;
};

// Inflates one miCOMPRESSED element. The buffer grows with the output zlib actually produces, so a
// hostile size claim costs nothing; the claim itself is also checked against zlib's expansion limit.
std::vector<uchar> inflateElement(const uchar* src, size_t n, bool swap, const Context& ctx)
{
    z_stream zs;
    std::memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK)
        CV_Error(Error::StsError, "MatFile: cannot initialise zlib");
    struct Guard { z_stream* z; ~Guard() { inflateEnd(z); } } guard{&zs};
    zs.next_in = const_cast<Bytef*>(src);
    zs.avail_in = (uInt)n;

    auto pump = [&](uchar* dst, size_t len) -> size_t // inflates up to len bytes, returns how many came
    {
        size_t produced = 0;
        while (produced < len)
        {
            zs.next_out = dst + produced;
            zs.avail_out = (uInt)std::min(len - produced, (size_t)1 << 30);
            const uInt before = zs.avail_out;
            const int rc = inflate(&zs, Z_NO_FLUSH);
            produced += before - zs.avail_out;
            if (rc == Z_STREAM_END)
                break;
            if (rc == Z_BUF_ERROR || (rc == Z_OK && before == zs.avail_out && zs.avail_in == 0))
                fail(ctx, zs.total_out, "compressed data is truncated");
            if (rc != Z_OK)
                fail(ctx, zs.total_out, cv::format("zlib error %d (%s) after %lu compressed bytes", rc,
                                                 zs.msg ? zs.msg : "no message", (unsigned long)zs.total_in));
        }
        return produced;
    };

    std::vector<uchar> out(8);
    if (pump(out.data(), 8) < 8)
        fail(ctx, 0, "compressed data ends before the first tag");
    const uint32_t type = loadValue<uint32_t>(out.data(), swap);
    const uint32_t nbytes = loadValue<uint32_t>(out.data() + 4, swap);
    if (type != miMATRIX)
        fail(ctx, 0, cv::format("compressed element holds type %u, expected miMATRIX (14)", type));
    if ((uint64_t)nbytes > (uint64_t)n * kMaxInflateRatio + 64)
        fail(ctx, 0, cv::format("claims %u uncompressed bytes, more than %zu compressed bytes can hold", nbytes, n));
    const size_t total = 8 + (size_t)nbytes;
    // Numeric data rarely compresses beyond 16:1, so this first reservation usually suffices; it
    // stays proportional to the bytes actually present, never to the (possibly hostile) claim.
    out.reserve(std::min(total, std::max((size_t)1 << 16, 16 * n)));
    while (out.size() < total)
    {
        const size_t have = out.size();
        const size_t grow = std::min(total - have, std::max(out.capacity() - have, std::max(have, (size_t)1 << 16)));
        out.resize(have + grow);
        const size_t got = pump(out.data() + have, grow);
        if (got < grow)
            fail(ctx, have + got, cv::format("compressed data ends after %zu bytes but its tag declares %zu",
                                             have + got, total));
    }
    // Drain the stream so that its Adler-32 checksum is verified; a little trailing output is tolerated.
    uchar scratch[256];
    size_t extra = 0;
    for (;;)
    {
        zs.next_out = scratch;
        zs.avail_out = sizeof(scratch);
        const uInt inBefore = zs.avail_in;
        const int rc = inflate(&zs, Z_NO_FLUSH);
        extra += sizeof(scratch) - zs.avail_out;
        if (rc == Z_STREAM_END)
            break;
        if (extra > 4096)
            fail(ctx, total, "compressed data holds more than its tag declares");
        if (rc == Z_BUF_ERROR || (rc == Z_OK && zs.avail_out == sizeof(scratch) && zs.avail_in == inBefore))
            fail(ctx, total, "compressed data is truncated (no end of stream)");
        if (rc != Z_OK)
            fail(ctx, total, cv::format("corrupt compressed data: zlib error %d (%s)", rc, zs.msg ? zs.msg : "no message"));
    }
    return out;
}

} // namespace

MatFile::MatFile() : p(new Impl) {}
MatFile::MatFile(const String& filename) : p(new Impl) { read(filename); }
MatFile::MatFile(const MatFile& other) : p(new Impl(*other.p)) {}
// Moves swap, so that a moved-from MatFile is still a valid (empty or previous) object.
MatFile::MatFile(MatFile&& other) : p(new Impl) { p.swap(other.p); }
MatFile& MatFile::operator=(const MatFile& other)
{
    if (this != &other)
        p.reset(new Impl(*other.p));
    return *this;
}
MatFile& MatFile::operator=(MatFile&& other) noexcept
{
    p.swap(other.p);
    return *this;
}
MatFile::~MatFile() {}

void MatFile::read(const String& filename)
{
    detail::publicBoundary(cv::format("MatFile('%s')", filename.c_str()).c_str(), [&]() {
        detail::InputFile f(filename, "MatFile", INPUT_LIMIT_DATA_BYTES); // regular files only, size capped
        std::vector<uchar> bytes((size_t)f.size());
        bytes.resize(f.read(bytes.data(), bytes.size()));
        decode(bytes, filename);
    });
}

void MatFile::decode(const std::vector<uchar>& bytes, const String& sourceName)
{
    Context ctx;
    ctx.file = sourceName;
    const size_t size = bytes.size();
    const uchar* d = bytes.data();
    if (size >= 520 && std::memcmp(d + 512, "\x89HDF", 4) == 0)
        CV_Error(Error::StsNotImplemented, cv::format("MatFile: '%s' is a MAT v7.3 (HDF5) file; "
                                                      "re-save it with save(..., '-v7')", sourceName.c_str()));
    if (size < (size_t)kHeaderSize)
        fail(ctx, 0, cv::format("file of %zu bytes is too short for the 128-byte MAT-file header", size));
    if (d[0] == 0 || d[1] == 0 || d[2] == 0 || d[3] == 0)
        CV_Error(Error::StsNotImplemented, cv::format("MatFile: '%s' is not a level-5 MAT-file (a MAT v4 file?)",
                                                      sourceName.c_str()));
    bool fileBigEndian;
    if (d[126] == 'I' && d[127] == 'M')
        fileBigEndian = false;
    else if (d[126] == 'M' && d[127] == 'I')
        fileBigEndian = true;
    else
        fail(ctx, 126, "bad endian indicator (expected 'IM' or 'MI'): not a level-5 MAT-file");
    const bool swap = fileBigEndian != hostIsBigEndian();
    const uint16_t version = loadValue<uint16_t>(d + 124, swap);
    if (version == 0x0200)
        CV_Error(Error::StsNotImplemented, cv::format("MatFile: '%s' is a MAT v7.3 (HDF5) file; "
                                                      "re-save it with save(..., '-v7')", sourceName.c_str()));
    if (version != 0x0100)
        fail(ctx, 124, cv::format("unsupported MAT-file version 0x%04x (expected 0x0100)", version));

    Impl result;
    size_t pos = kHeaderSize;
    for (int k = 1; pos < size; k++)
    {
        if (size - pos < 8 && std::all_of(d + pos, d + size, [](uchar c) { return c == 0; }))
            break; // zero padding after the last element, as some writers leave

        ctx.variable = cv::format("#%d", k);
        ctx.compressedAt = std::string::npos;
        Parser fileParser(d, swap, ctx);
        const Tag t = fileParser.tag(pos, size);
        Variable v;
        std::string name;
        if (t.type == miCOMPRESSED)
        {
            ctx.compressedAt = t.pos;
            std::vector<uchar> raw = inflateElement(d + t.dataPos, t.nbytes, swap, ctx);
            Parser inner(raw.data(), swap, ctx);
            inner.matrix(inner.tag(0, raw.size()), v, &name, 0);
            pos = t.dataPos + t.nbytes; // compressed elements are not padded
        }
        else if (t.type == miMATRIX)
        {
            fileParser.matrix(t, v, &name, 0);
            pos = t.next;
        }
        else
            fail(ctx, t.pos, cv::format("unexpected data element type %u at the top level "
                                        "(expected miMATRIX 14 or miCOMPRESSED 15)", t.type));
        if (name.empty())
        {
            // MATLAB's hidden function workspace (subsystem data) has no name: nothing to read there.
            CV_LOG_DEBUG(NULL, "MatFile: skipping an unnamed variable in " << sourceName);
            continue;
        }
        if (result.index.count(name))
            fail(ctx, t.pos, "a second variable with the same name");
        result.set(name, std::move(v));
    }
    *p = std::move(result);
}

//==================================================================================================
// Accessors

bool MatFile::has(const String& name) const { return p->index.count(name) != 0; }

std::vector<String> MatFile::names() const
{
    std::vector<String> out;
    for (const auto& kv : p->vars)
        out.push_back(kv.first);
    return out;
}

int MatFile::matClass(const String& name) const { return p->get(name, "matClass").cls; }

std::vector<int> MatFile::size(const String& name) const { return p->get(name, "size").dims; }

void MatFile::remove(const String& name)
{
    auto it = p->index.find(name);
    if (it == p->index.end())
        return;
    p->vars.erase(p->vars.begin() + it->second);
    p->index.clear();
    for (size_t i = 0; i < p->vars.size(); i++)
        p->index[p->vars[i].first] = i;
}

void MatFile::clear()
{
    p->vars.clear();
    p->index.clear();
}

Mat MatFile::matrix(const String& name, int depth) const
{
    const Variable& v = p->get(name, "matrix");
    if (!isNumericClass(v.cls))
        CV_Error(Error::StsBadArg, cv::format("MatFile::matrix: variable '%s' is a %s array, not numeric",
                                              name.c_str(), className(v.cls)));
    if (v.complex)
        CV_Error(Error::StsNotImplemented, cv::format("MatFile::matrix: variable '%s' is complex", name.c_str()));
    for (size_t i = 2; i < v.dims.size(); i++)
        if (v.dims[i] != 1)
            CV_Error(Error::StsNotImplemented, cv::format("MatFile::matrix: variable '%s' has %zu dimensions; only 2-D "
                                                          "arrays are supported", name.c_str(), v.dims.size()));
    if (depth < -1 || depth > CV_16F)
        CV_Error(Error::StsBadArg, cv::format("MatFile::matrix: invalid depth %d", depth));
    const int rows = v.dims[0], cols = v.dims[1];
    int nativeDepth = classDepth(v.cls);
    Mat colMajor; // cols x rows view of the column-major data
    Mat converted;
    if (nativeDepth >= 0)
        colMajor = Mat(cols, rows, nativeDepth, const_cast<uchar*>(v.data.data()));
    else
    {
        // uint32 / int64 / uint64: OpenCV 4 has no such depth; doubles hold them up to 2^53 exactly.
        nativeDepth = CV_64F;
        converted.create(cols, rows, CV_64F);
        const size_t n = v.numel();
        double* out = converted.ptr<double>();
        for (size_t i = 0; i < n; i++)
        {
            double x;
            if (v.cls == CLASS_UINT32)
                x = ((const uint32_t*)v.data.data())[i];
            else if (v.cls == CLASS_INT64)
                x = (double)((const int64_t*)v.data.data())[i];
            else
                x = (double)((const uint64_t*)v.data.data())[i];
            if (depth < 0 && std::abs(x) > kMaxExactInteger)
                CV_Error(Error::StsOutOfRange, cv::format("MatFile::matrix: %s value at element %zu of '%s' is beyond "
                                                          "2^53 and cannot be returned exactly as double",
                                                          className(v.cls), i, name.c_str()));
            out[i] = x;
        }
        colMajor = converted;
    }
    Mat result;
    if (rows == 0 || cols == 0)
        result.create(rows, cols, nativeDepth);
    else
        result = colMajor.t();
    if (depth >= 0 && depth != result.depth())
        result.convertTo(result, depth);
    return result;
}

static void collectStrings(const Variable& v, const String& name, std::vector<String>& out, bool topLevel)
{
    if (v.cls == MatFile::CLASS_CHAR)
    {
        const int rows = v.dims[0];
        const size_t cols = rows > 0 ? v.numel() / rows : 0;
        if (!topLevel && rows > 1)
            CV_Error(Error::StsBadArg, cv::format("MatFile::strings: '%s' holds a %d x %zu char matrix; expected one row",
                                                  name.c_str(), rows, cols));
        if (rows == 0 || cols == 0)
        {
            if (!topLevel)
                out.push_back(String());
            return;
        }
        std::vector<uint32_t> row(cols);
        for (int r = 0; r < rows; r++)
        {
            for (size_t c = 0; c < cols; c++)
                row[c] = v.chars[c * rows + r];
            out.push_back(utf16ToUtf8(row.data(), cols));
        }
    }
    else if (v.cls == MatFile::CLASS_CELL && !topLevel && v.cells.size() == 1)
        collectStrings(v.cells[0], name, out, false); // SciPy writes an object array of strings like this
    else if (v.cls == MatFile::CLASS_CELL && topLevel)
    {
        for (size_t k = 0; k < v.cells.size(); k++)
            collectStrings(v.cells[k], cv::format("%s{%zu}", name.c_str(), k + 1), out, false);
    }
    else if (!topLevel && v.numel() == 0)
        out.push_back(String()); // {[]}: an empty element
    else
        CV_Error(Error::StsBadArg, cv::format("MatFile::strings: '%s' is a %s array, not text", name.c_str(),
                                              className(v.cls)));
}

std::vector<String> MatFile::strings(const String& name) const
{
    std::vector<String> out;
    collectStrings(p->get(name, "strings"), name, out, true);
    return out;
}

//==================================================================================================
// Writing

void MatFile::setMatrix(const String& name, InputArray m_, int matClass)
{
    if (!isValidVariableName(name))
        CV_Error(Error::StsBadArg, cv::format("MatFile::setMatrix: '%s' is not a valid MATLAB variable name "
                                              "(a letter, then letters, digits or '_', at most 63)", name.c_str()));
    Mat m = m_.getMat();
    if (m.channels() != 1 || m.dims > 2)
        CV_Error(Error::StsBadArg, cv::format("MatFile::setMatrix('%s'): expected a 2-D single-channel matrix",
                                              name.c_str()));
    if (m.depth() == CV_16F)
        m.convertTo(m, CV_32F);
    static const int depthToClass[] = { CLASS_UINT8, CLASS_INT8, CLASS_UINT16, CLASS_INT16, CLASS_INT32,
                                        CLASS_SINGLE, CLASS_DOUBLE };
    const int cls = matClass < 0 ? depthToClass[m.depth()] : matClass;
    if (!isNumericClass(cls))
        CV_Error(Error::StsBadArg, cv::format("MatFile::setMatrix('%s'): class %d is not a numeric class",
                                              name.c_str(), matClass));
    const bool integerClass = cls != CLASS_DOUBLE && cls != CLASS_SINGLE;
    Mat t = m.empty() ? Mat() : Mat(m.t()); // column-major order of m is the row-major order of its transpose
    Variable v;
    v.cls = cls;
    v.dims = { m.rows, m.cols };
    v.data.resize(t.total() * classElemSize(cls));
    const int depth = classDepth(cls);
    if (integerClass && m.depth() != depth)
    {
        // No silent rounding or wrapping: every value must be an integer the class can hold.
        Mat d;
        t.convertTo(d, CV_64F);
        double lo = 0, hi = 0;
        switch (cls)
        {
        case CLASS_INT8: lo = -128; hi = 127; break;
        case CLASS_UINT8: lo = 0; hi = 255; break;
        case CLASS_INT16: lo = -32768; hi = 32767; break;
        case CLASS_UINT16: lo = 0; hi = 65535; break;
        case CLASS_INT32: lo = INT_MIN; hi = INT_MAX; break;
        case CLASS_UINT32: lo = 0; hi = 4294967295.0; break;
        case CLASS_INT64: case CLASS_UINT64:
            lo = cls == CLASS_INT64 ? -kMaxExactInteger : 0; hi = kMaxExactInteger; break;
        }
        for (size_t i = 0; i < d.total(); i++)
        {
            const double x = d.ptr<double>()[i];
            if (!(x >= lo && x <= hi) || x != std::floor(x))
                CV_Error(Error::StsOutOfRange, cv::format("MatFile::setMatrix('%s'): value %g at (%d, %d) is not an %s",
                                                          name.c_str(), x, (int)(i % m.rows), (int)(i / m.rows), className(cls)));
        }
        if (depth >= 0)
            d.convertTo(Mat(t.size(), depth, v.data.data()), depth);
        else
            for (size_t i = 0; i < d.total(); i++)
            {
                const double x = d.ptr<double>()[i];
                if (cls == CLASS_UINT32) ((uint32_t*)v.data.data())[i] = (uint32_t)x;
                else if (cls == CLASS_INT64) ((int64_t*)v.data.data())[i] = (int64_t)x;
                else ((uint64_t*)v.data.data())[i] = (uint64_t)x;
            }
    }
    else if (!t.empty())
        t.convertTo(Mat(t.size(), depth, v.data.data()), depth);
    p->set(name, std::move(v));
}

void MatFile::setStrings(const String& name, const std::vector<String>& values)
{
    if (!isValidVariableName(name))
        CV_Error(Error::StsBadArg, cv::format("MatFile::setStrings: '%s' is not a valid MATLAB variable name", name.c_str()));
    if (values.size() > (size_t)INT_MAX)
        CV_Error(Error::StsOutOfRange, "MatFile::setStrings: too many strings");
    Variable v;
    v.cls = CLASS_CELL;
    v.dims = { (int)values.size(), 1 };
    v.cells.resize(values.size());
    for (size_t i = 0; i < values.size(); i++)
    {
        const std::vector<uint16_t> units =
            utf8ToUtf16(values[i], cv::format("string %zu of '%s'", i, name.c_str()));
        Variable& c = v.cells[i];
        c.cls = CLASS_CHAR;
        c.dims = units.empty() ? std::vector<int>{0, 0} : std::vector<int>{1, (int)units.size()};
        c.chars.assign(units.begin(), units.end());
    }
    p->set(name, std::move(v));
}

namespace {

void put32(std::vector<uchar>& out, uint32_t x)
{
    const size_t at = out.size();
    out.resize(at + 4);
    std::memcpy(out.data() + at, &x, 4);
}

void pad8(std::vector<uchar>& out, size_t start)
{
    while ((out.size() - start) % 8)
        out.push_back(0);
}

// One data element; 1..4 bytes use the small data element format, as MATLAB does.
void putElement(std::vector<uchar>& out, uint32_t type, const void* data, size_t nbytes)
{
    CV_Assert(nbytes <= 0xFFFFFFFFu);
    const size_t start = out.size();
    if (nbytes >= 1 && nbytes <= 4)
    {
        put32(out, type | ((uint32_t)nbytes << 16));
        const size_t at = out.size();
        out.resize(at + 4, 0);
        std::memcpy(out.data() + at, data, nbytes);
        return;
    }
    put32(out, type);
    put32(out, (uint32_t)nbytes);
    const size_t at = out.size();
    out.resize(at + nbytes);
    if (nbytes)
        std::memcpy(out.data() + at, data, nbytes);
    pad8(out, start);
}

void putMatrix(std::vector<uchar>& out, const Variable& v, const std::string& name)
{
    const size_t start = out.size();
    put32(out, miMATRIX);
    put32(out, 0); // patched below
    const uint32_t flags[2] = { (uint32_t)v.cls | (v.logical ? 0x200u : 0u), 0u };
    putElement(out, miUINT32, flags, 8);
    putElement(out, miINT32, v.dims.data(), v.dims.size() * 4);
    putElement(out, miINT8, name.data(), name.size());
    if (isNumericClass(v.cls))
        putElement(out, classMiType(v.cls), v.data.data(), v.data.size());
    else if (v.cls == MatFile::CLASS_CHAR)
    {
        std::vector<uint16_t> units(v.chars.begin(), v.chars.end());
        putElement(out, miUINT16, units.data(), units.size() * 2);
    }
    else if (v.cls == MatFile::CLASS_CELL)
    {
        for (const Variable& c : v.cells)
            putMatrix(out, c, std::string());
    }
    else
        CV_Error(Error::StsNotImplemented, cv::format("MatFile::write: cannot write a %s array", className(v.cls)));
    const size_t nbytes = out.size() - start - 8;
    if (nbytes > 0xFFFFFFFFu)
        CV_Error(Error::StsOutOfRange, cv::format("MatFile::write: variable '%s' exceeds the 4 GiB a level-5 "
                                                  "MAT-file element can hold", name.c_str()));
    const uint32_t n32 = (uint32_t)nbytes;
    std::memcpy(out.data() + start + 4, &n32, 4);
}

} // namespace

std::vector<uchar> MatFile::encode() const
{
    std::vector<uchar> out(kHeaderSize, ' ');
    const std::time_t now = std::time(nullptr);
    char date[64] = "";
    std::tm tmv;
    gmtime_r(&now, &tmv);
    std::strftime(date, sizeof(date), "%a %b %d %H:%M:%S %Y", &tmv);
    const std::string text = std::string("MATLAB 5.0 MAT-file, Platform: opencv_zsl, Created on: ") + date;
    std::memcpy(out.data(), text.data(), std::min(text.size(), (size_t)116));
    std::fill(out.begin() + 116, out.begin() + 124, 0); // no subsystem data
    const uint16_t version = 0x0100, endian = ('M' << 8) | 'I'; // written in host order: 'IM' on little-endian
    std::memcpy(out.data() + 124, &version, 2);
    std::memcpy(out.data() + 126, &endian, 2);

    for (const auto& kv : p->vars)
    {
        std::vector<uchar> raw;
        putMatrix(raw, kv.second, kv.first);
        uLongf bound = compressBound((uLong)raw.size());
        std::vector<uchar> z(bound);
        // Level 1: four times faster than the default on feature matrices for ~15% larger files.
        const int rc = compress2(z.data(), &bound, raw.data(), (uLong)raw.size(), Z_BEST_SPEED);
        if (rc != Z_OK)
            CV_Error(Error::StsError, cv::format("MatFile::write: zlib error %d compressing '%s'", rc, kv.first.c_str()));
        if (bound > 0xFFFFFFFFu)
            CV_Error(Error::StsOutOfRange, cv::format("MatFile::write: variable '%s' is too large", kv.first.c_str()));
        put32(out, miCOMPRESSED);
        put32(out, (uint32_t)bound);
        out.insert(out.end(), z.begin(), z.begin() + bound);
    }
    return out;
}

void MatFile::write(const String& filename) const
{
    const std::vector<uchar> bytes = encode();
    AtomicFile f(filename);
    f.write(bytes.data(), bytes.size());
    f.commit();
}

}} // namespace cv::zsl
