// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "opencv2/zsl/word_vectors.hpp"
#include "opencv2/zsl/atomic_file.hpp"
#include "search/cosine_search.hpp"
#include "eigen_bridge.hpp"
#include "io/input_file.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace cv {
namespace zsl {

namespace {

// Limits that reject hostile headers before any allocation.
const long long kMaxDims = 1 << 16;        // largest published embeddings are 300..4096-d
const long long kMaxWords = INT_MAX - 1;  // rows of a cv::Mat
const size_t kMaxLine = (size_t)64 << 20; // a 65536-d line of 20-char values is ~1.3 MB; 64 MB is hostile
const size_t kMaxBinaryWord = 4096;

inline char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

std::string fold(std::string_view w, bool caseFold)
{
    std::string s(w);
    if (caseFold)
        for (char& c : s)
            c = asciiLower(c);
    return s;
}

inline bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/** Buffered sequential reader: large fread() blocks, never the whole file. */
class FileReader
{
public:
    FileReader(const String& path, size_t blockSize) : path_(path), block_(blockSize)
    {
        detail::InputFile in(path, "WordVectors::load", INPUT_LIMIT_DATA_BYTES); // regular files only, size capped
        const unsigned long long size = in.size();
        f_ = in.releaseToFILE();
        size_ = (unsigned long long)size;
        // Small files need no 16 MB buffer (one more byte lets the first read reach end of file).
        block_ = (size_t)std::min<unsigned long long>(block_, size_ + 1);
    }
    ~FileReader() { if (f_) std::fclose(f_); }
    unsigned long long fileSize() const { return size_; }

    /** Appends up to one block to buf; returns the number of bytes read (0 at end of file). */
    size_t readInto(std::vector<char>& buf)
    {
        const size_t old = buf.size();
        buf.resize(old + block_);
        const size_t n = std::fread(buf.data() + old, 1, block_, f_);
        buf.resize(old + n);
        if (n == 0 && std::ferror(f_))
            CV_Error(Error::StsError, cv::format("WordVectors::load: read error in '%s'", path_.c_str()));
        return n;
    }

private:
    String path_;
    size_t block_;
    FILE* f_ = nullptr;
    unsigned long long size_ = 0;
};

/** Parses "count dim" of a word2vec/fastText header; false when the line is not exactly two integers. */
bool parseHeader(std::string_view line, long long& count, long long& dim)
{
    const char* p = line.data();
    const char* e = p + line.size();
    while (p < e && isBlank(*p)) p++;
    auto r1 = std::from_chars(p, e, count);
    if (r1.ec != std::errc() || r1.ptr == p) return false;
    p = r1.ptr;
    if (p == e || !isBlank(*p)) return false;
    while (p < e && isBlank(*p)) p++;
    auto r2 = std::from_chars(p, e, dim);
    if (r2.ec != std::errc() || r2.ptr == p) return false;
    p = r2.ptr;
    while (p < e && isBlank(*p)) p++;
    return p == e;
}

class WordVectorsImpl CV_FINAL : public WordVectors
{
public:
    WordVectorsImpl(bool caseFold) : caseFold_(caseFold) {}

    int size() const CV_OVERRIDE { return (int)words_.size(); }
    int dims() const CV_OVERRIDE { return vectors_.cols; }
    bool getCaseFold() const CV_OVERRIDE { return caseFold_; }
    std::vector<String> getWords() const CV_OVERRIDE { return std::vector<String>(words_.begin(), words_.end()); }
    String getWord(int i) const CV_OVERRIDE
    {
        if (i < 0 || i >= size())
            CV_Error(Error::StsOutOfRange, cv::format("WordVectors::getWord: index %d out of range [0, %d)", i, size()));
        return words_[i];
    }
    Mat getVectors() const CV_OVERRIDE { return vectors_; }
    int indexOf(const String& word) const CV_OVERRIDE
    {
        auto it = index_.find(fold(word, caseFold_));
        return it == index_.end() ? -1 : it->second;
    }

    std::vector<String> missingWords(const std::vector<String>& labels) const CV_OVERRIDE
    {
        std::vector<String> out;
        std::unordered_set<std::string> seen;
        for (const String& l : labels)
            for (const String& w : splitLabel(l))
                if (indexOf(w) < 0 && seen.insert(fold(w, caseFold_)).second)
                    out.push_back(w);
        return out;
    }

    void lookup(const std::vector<String>& labels, OutputArray out, int oovPolicy) const CV_OVERRIDE
    {
        if (oovPolicy != OOV_ERROR && oovPolicy != OOV_SKIP_WORDS)
            CV_Error(Error::StsOutOfRange, cv::format("WordVectors::lookup: unknown OOV policy %d", oovPolicy));
        if (size() == 0)
            CV_Error(Error::StsBadArg, "WordVectors::lookup: the vocabulary is empty");
        Mat result = Mat::zeros((int)labels.size(), dims(), CV_32F);
        std::string missing, empty;
        for (size_t i = 0; i < labels.size(); i++)
        {
            const std::vector<String> parts = splitLabel(labels[i]);
            if (parts.empty())
                CV_Error(Error::StsBadArg, cv::format("WordVectors::lookup: label %zu ('%s') has no words", i, labels[i].c_str()));
            int known = 0;
            std::string labelMissing;
            Mat row = result.row((int)i);
            for (const String& w : parts)
            {
                const int r = indexOf(w);
                if (r < 0)
                {
                    labelMissing += (labelMissing.empty() ? "" : ", ") + w;
                    continue;
                }
                row += vectors_.row(r);
                known++;
            }
            if (!labelMissing.empty())
                missing += (missing.empty() ? "" : "; ") + labelMissing + " (in '" + labels[i] + "')";
            if (known == 0)
                empty += (empty.empty() ? "" : ", ") + labels[i];
            else
                row *= 1.0 / known;
        }
        if (!missing.empty() && (oovPolicy == OOV_ERROR || !empty.empty()))
            CV_Error(Error::StsObjectNotFound,
                     cv::format("WordVectors::lookup: words not in the vocabulary of %d words: %s%s",
                                size(), missing.c_str(),
                                oovPolicy == OOV_SKIP_WORDS ? (" -- labels without any known word: " + empty).c_str() : ""));
        if (!missing.empty())
            CV_LOG_WARNING(NULL, "WordVectors::lookup: skipped out-of-vocabulary words: " << missing);
        result.copyTo(out);
    }

    ClassPrototypes prototypes(const std::vector<String>& classNames, int oovPolicy, int normalization) const CV_OVERRIDE
    {
        Mat v;
        lookup(classNames, v, oovPolicy);
        return ClassPrototypes(classNames, v).normalized(normalization);
    }

    void nearestWords(InputArray queries, int k, OutputArray indices, OutputArray similarities) const CV_OVERRIDE
    {
        if (size() == 0)
            CV_Error(Error::StsBadArg, "WordVectors::nearestWords: the vocabulary is empty");
        if (k < 1)
            CV_Error(Error::StsBadArg, cv::format("WordVectors::nearestWords: k must be >= 1, got %d", k));
        Mat q = detail::normalizedRows(queries, "WordVectors::nearestWords: queries", dims());
        Mat idx, sc;
        detail::exactTopK(q, vectors_, inverseNorms(), k, idx, sc, &quantized_);
        idx.copyTo(indices);
        sc.copyTo(similarities);
    }

    void save(const String& filename, int format) const CV_OVERRIDE
    {
        if (format != WORDVEC_TEXT && format != WORDVEC_WORD2VEC_BINARY)
            CV_Error(Error::StsBadArg, cv::format("WordVectors::save: format must be WORDVEC_TEXT or WORDVEC_WORD2VEC_BINARY, got %d", format));
        AtomicFile f(filename);
        std::string line = cv::format("%d %d\n", size(), dims());
        char num[32];
        for (int i = 0; i < size(); i++)
        {
            line += words_[i];
            line += ' ';
            const float* v = vectors_.ptr<float>(i);
            if (format == WORDVEC_WORD2VEC_BINARY)
                line.append(reinterpret_cast<const char*>(v), sizeof(float) * dims()); // little-endian hosts
            else
                for (int j = 0; j < dims(); j++)
                {
                    // Shortest representation that reads back to the same float.
                    auto r = std::to_chars(num, num + sizeof(num), v[j]);
                    line.append(num, r.ptr - num);
                    if (j + 1 < dims()) line += ' ';
                }
            line += '\n';
            f.write(line);
            line.clear();
        }
        f.commit();
    }

    // ---- building ----

    /** Registers a word for the next row; returns the row, or -1 to skip it (filtered out or a
        duplicate after folding). */
    int addWord(std::string_view raw)
    {
        std::string w = fold(raw, caseFold_);
        if (filter_ && !filter_->count(w))
            return -1;
        auto ins = index_.emplace(w, (int)words_.size());
        if (!ins.second)
        {
            duplicates_++;
            return -1;
        }
        words_.push_back(std::move(w));
        return (int)words_.size() - 1;
    }

    void finishRows(const Mat& storage)
    {
        vectors_ = storage.rowRange(0, (int)words_.size());
        // Inverse norms once, so that cosine queries need no normalised copy of the vocabulary.
        invNorms_.resize(words_.size());
        if (!words_.empty())
        {
            Eigen::Map<Eigen::VectorXf> inv(invNorms_.data(), (Eigen::Index)invNorms_.size());
            inv = detail::viewEigen(vectors_).rowwise().norm();
            inv = inv.unaryExpr([](float n) { return n > 0.f ? 1.f / n : 0.f; });
        }
        if (duplicates_ > 0)
            CV_LOG_WARNING(NULL, "WordVectors: " << duplicates_ << " duplicate words (after case folding: "
                                 << (caseFold_ ? "on" : "off") << ") ignored; the first occurrence is kept");
    }

    const std::vector<float>& inverseNorms() const { return invNorms_; }

    bool caseFold_;
    std::vector<std::string> words_;
    std::unordered_map<std::string, int> index_;
    Mat vectors_;
    std::unique_ptr<std::unordered_set<std::string>> filter_;
    long long duplicates_ = 0;
    std::vector<float> invNorms_;
    detail::LazyQuantizedRows quantized_; // 4-bit codes for single exact queries, built on first use
};

/** Lines of one buffer, parsed in parallel once their rows are assigned. */
struct PendingLine
{
    const char* begin; // first character after the word
    const char* end;   // line end (before '\n')
    long long lineNo;
    int row;
};

class TextLoader
{
public:
    TextLoader(const String& path, const WordVectorsLoadOptions& opt, WordVectorsImpl& wv, bool header)
        : path_(path), opt_(opt), wv_(wv), header_(header) {}

    void run()
    {
        const size_t block = (size_t)16 << 20;
        FileReader in(path_, block);
        std::vector<char> buf;
        buf.reserve(2 * block); // the carried tail line + one block: no reallocation in steady state
        size_t start = 0; // first unprocessed byte of buf
        bool eof = false;
        while (true)
        {
            // Keep the incomplete tail line, read the next block behind it.
            buf.erase(buf.begin(), buf.begin() + start);
            start = 0;
            if (!eof && in.readInto(buf) == 0)
                eof = true;
            const char* base = buf.data();
            const char* end = base + buf.size();
            const char* lastNL = eof ? end : static_cast<const char*>(memrchr(base, '\n', buf.size()));
            if (!lastNL)
            {
                if (buf.size() > kMaxLine)
                    fail(lineNo_ + 1, cv::format("line longer than %zu bytes", kMaxLine));
                continue; // the line continues in the next block
            }
            processLines(base, lastNL, in.fileSize());
            start = (size_t)(lastNL - base) + (eof ? 0 : 1);
            if (eof || stop_)
                break;
        }
        if (!storageReady_)
            fail(lineNo_, "no word vectors found");
        if (header_ && !stop_ && rowsSeen_ < headerCount_)
            fail(lineNo_, cv::format("truncated: the header announces %lld words, the file has %lld",
                                     headerCount_, rowsSeen_));
        wv_.finishRows(storage_);
    }

private:
    [[noreturn]] void fail(long long line, const std::string& what) const
    {
        CV_Error(Error::StsParseError, cv::format("WordVectors::load: %s:%lld: %s", path_.c_str(), line, what.c_str()));
    }

    void allocate(long long capacity)
    {
        if (wv_.filter_)
            capacity = std::min<long long>(capacity, (long long)wv_.filter_->size());
        if (opt_.maxWords > 0)
            capacity = std::min<long long>(capacity, opt_.maxWords);
        capacity = std::max<long long>(capacity, 1);
        storage_.create((int)capacity, (int)dim_, CV_32F);
        storageReady_ = true;
    }

    void grow()
    {
        // Only GloVe (no count) under an underestimated size gets here: grow by half.
        Mat bigger((int)std::min<long long>(kMaxWords, (long long)storage_.rows * 3 / 2 + 1024), (int)dim_, CV_32F);
        storage_.copyTo(bigger.rowRange(0, storage_.rows));
        storage_ = bigger;
    }

    void processLines(const char* p, const char* end, unsigned long long fileSize)
    {
        pending_.clear();
        while (p < end && !stop_)
        {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', (size_t)(end - p)));
            const char* le = nl ? nl : end;
            lineNo_++;
            std::string_view line(p, (size_t)(le - p));
            p = nl ? nl + 1 : end;
            if (lineNo_ == 1 && header_)
            {
                long long count = 0, dim = 0;
                if (!parseHeader(line, count, dim))
                    fail(1, "expected a \"count dim\" header line");
                checkHeader(count, dim, fileSize, 2);
                headerCount_ = count;
                dim_ = dim;
                allocate(count);
                continue;
            }
            // Blank lines (a trailing newline, a Windows "\r") carry nothing.
            size_t w0 = 0;
            while (w0 < line.size() && isBlank(line[w0])) w0++;
            if (w0 == line.size())
                continue;
            size_t w1 = w0;
            while (w1 < line.size() && line[w1] != ' ' && line[w1] != '\t') w1++;
            if (!storageReady_)
            {
                // GloVe: the first line fixes the dimension; the file size bounds the row count.
                dim_ = countFields(line.substr(w1));
                if (dim_ < 1)
                    fail(lineNo_, "the first line has a word but no values");
                if (dim_ > kMaxDims)
                    fail(lineNo_, cv::format("%lld values per line exceed the limit %lld", dim_, kMaxDims));
                const long long estimate = (long long)(fileSize / std::max<size_t>(line.size() + 1, 1));
                allocate(std::min<long long>(estimate + estimate / 2 + 1024, (long long)(fileSize / (2 * dim_)) + 1));
            }
            if (header_ && rowsSeen_ >= headerCount_)
                fail(lineNo_, cv::format("more words than the %lld announced by the header", headerCount_));
            rowsSeen_++;
            const int row = wv_.addWord(line.substr(w0, w1 - w0));
            if (row >= 0)
            {
                if (row >= storage_.rows)
                {
                    parsePending(); // rows already assigned point into the old storage
                    grow();
                }
                pending_.push_back(PendingLine{line.data() + w1, line.data() + line.size(), lineNo_, row});
            }
            if (opt_.maxWords > 0 && rowsSeen_ >= opt_.maxWords)
                stop_ = true;
        }
        parsePending();
    }

    static long long countFields(std::string_view s)
    {
        long long n = 0;
        size_t i = 0;
        while (i < s.size())
        {
            while (i < s.size() && isBlank(s[i])) i++;
            if (i == s.size()) break;
            n++;
            while (i < s.size() && !isBlank(s[i])) i++;
        }
        return n;
    }

    void checkHeader(long long count, long long dim, unsigned long long fileSize, int minBytesPerValue)
    {
        if (count < 1 || dim < 1)
            fail(1, cv::format("header \"%lld %lld\": counts must be positive", count, dim));
        if (dim > kMaxDims)
            fail(1, cv::format("header dimension %lld exceeds the limit %lld", dim, kMaxDims));
        if (count > kMaxWords)
            fail(1, cv::format("header word count %lld exceeds the limit %lld", count, kMaxWords));
        // Each value takes at least minBytesPerValue bytes: a header the file cannot hold is hostile.
        if ((unsigned long long)count * (unsigned long long)dim * (unsigned long long)minBytesPerValue > fileSize)
            fail(1, cv::format("header \"%lld %lld\" needs at least %llu bytes, the file has %llu",
                               count, dim, (unsigned long long)count * dim * minBytesPerValue, fileSize));
    }

    void parsePending()
    {
        if (pending_.empty())
            return;
        std::mutex m;
        long long badLine = -1;
        std::string badWhat;
        const int dim = (int)dim_;
        cv::parallel_for_(Range(0, (int)pending_.size()), [&](const Range& r) {
            for (int i = r.start; i < r.end; i++)
            {
                const PendingLine& pl = pending_[i];
                float* out = storage_.ptr<float>(pl.row);
                const char* p = pl.begin;
                const char* e = pl.end;
                int n = 0;
                std::string err;
                while (true)
                {
                    while (p < e && isBlank(*p)) p++;
                    if (p == e) break;
                    if (n == dim) { n++; break; }
                    // from_chars rejects a leading '+'; accept it as printf-style writers emit it.
                    const char* s = (*p == '+') ? p + 1 : p;
                    auto res = std::from_chars(s, e, out[n]);
                    if (res.ec != std::errc() || (res.ptr < e && !isBlank(*res.ptr)))
                    {
                        const char* tokEnd = p;
                        while (tokEnd < e && !isBlank(*tokEnd)) tokEnd++;
                        err = cv::format("value %d ('%s') is not a finite number", n + 1,
                                         std::string(p, std::min<size_t>(tokEnd - p, 40)).c_str());
                        break;
                    }
                    if (!std::isfinite(out[n]))
                    {
                        err = cv::format("value %d is not finite", n + 1);
                        break;
                    }
                    p = res.ptr;
                    n++;
                }
                if (err.empty() && n != dim)
                    err = n > dim ? cv::format("more than %d values", dim)
                                  : cv::format("%d values, expected %d (truncated line?)", n, dim);
                if (!err.empty())
                {
                    std::lock_guard<std::mutex> lock(m);
                    if (badLine < 0 || pl.lineNo < badLine)
                    {
                        badLine = pl.lineNo;
                        badWhat = err;
                    }
                }
            }
        });
        pending_.clear();
        if (badLine >= 0)
            fail(badLine, badWhat);
    }

    String path_;
    const WordVectorsLoadOptions& opt_;
    WordVectorsImpl& wv_;
    bool header_;
    long long lineNo_ = 0, rowsSeen_ = 0, headerCount_ = 0, dim_ = 0;
    bool storageReady_ = false, stop_ = false;
    Mat storage_;
    std::vector<PendingLine> pending_;
};

void loadBinary(const String& path, const WordVectorsLoadOptions& opt, WordVectorsImpl& wv)
{
    FileReader in(path, (size_t)16 << 20);
    std::vector<char> buf;
    size_t pos = 0;
    bool eof = false;
    // Makes at least n bytes available at pos (fewer only at end of file).
    auto ensure = [&](size_t n) {
        while (buf.size() - pos < n && !eof)
        {
            buf.erase(buf.begin(), buf.begin() + pos);
            pos = 0;
            if (in.readInto(buf) == 0)
                eof = true;
        }
        return buf.size() - pos >= n;
    };
    auto fail = [&](long long entry, const std::string& what) {
        CV_Error(Error::StsParseError, cv::format("WordVectors::load: %s: entry %lld: %s", path.c_str(), entry, what.c_str()));
    };
    // Header line.
    ensure(256);
    const char* nl = static_cast<const char*>(std::memchr(buf.data(), '\n', buf.size()));
    long long count = 0, dim = 0;
    if (!nl || !parseHeader(std::string_view(buf.data(), (size_t)(nl - buf.data())), count, dim))
        CV_Error(Error::StsParseError, cv::format("WordVectors::load: %s:1: expected a \"count dim\" header line (word2vec binary)", path.c_str()));
    pos = (size_t)(nl - buf.data()) + 1;
    const unsigned long long fileSize = in.fileSize();
    if (count < 1 || dim < 1 || dim > kMaxDims || count > kMaxWords
        || (unsigned long long)count * ((unsigned long long)dim * 4 + 2) > fileSize)
        CV_Error(Error::StsParseError, cv::format("WordVectors::load: %s:1: hostile or wrong header \"%lld %lld\": "
                                                  "needs dims in [1, %lld], words in [1, %lld] and %llu bytes, the file has %llu",
                                                  path.c_str(), count, dim, kMaxDims, kMaxWords,
                                                  (unsigned long long)count * ((unsigned long long)dim * 4 + 2), fileSize));
    long long capacity = count;
    if (wv.filter_)
        capacity = std::min<long long>(capacity, (long long)wv.filter_->size());
    if (opt.maxWords > 0)
        capacity = std::min<long long>(capacity, opt.maxWords);
    Mat storage(std::max<int>(1, (int)capacity), (int)dim, CV_32F);
    const size_t vecBytes = (size_t)dim * sizeof(float);
    const long long limit = opt.maxWords > 0 ? std::min<long long>(count, opt.maxWords) : count;
    for (long long e = 1; e <= limit; e++)
    {
        // Word: skip the '\n' some writers put after each vector, read up to the space.
        ensure(kMaxBinaryWord + 2);
        while (pos < buf.size() && (buf[pos] == '\n' || buf[pos] == '\r'))
            pos++;
        ensure(kMaxBinaryWord + 1);
        const char* w = buf.data() + pos;
        const size_t avail = buf.size() - pos;
        const char* sp = static_cast<const char*>(std::memchr(w, ' ', std::min(avail, kMaxBinaryWord + 1)));
        if (!sp)
            fail(e, avail == 0 ? cv::format("truncated: the header announces %lld words, the file ends after %lld", count, e - 1)
                               : (avail <= kMaxBinaryWord ? std::string("truncated inside a word")
                                                          : cv::format("no word separator within %zu bytes", kMaxBinaryWord)));
        std::string_view word(w, (size_t)(sp - w));
        if (word.empty())
            fail(e, "empty word");
        pos += word.size() + 1;
        const std::string wordCopy(word); // buf may move in ensure()
        if (!ensure(vecBytes))
            fail(e, cv::format("truncated vector of '%s': %zu of %zu bytes", wordCopy.c_str(), buf.size() - pos, vecBytes));
        const int row = wv.addWord(wordCopy);
        if (row >= 0)
        {
            float* out = storage.ptr<float>(row);
            std::memcpy(out, buf.data() + pos, vecBytes);
            for (int j = 0; j < dim; j++)
                if (!std::isfinite(out[j]))
                    fail(e, cv::format("value %d of '%s' is not finite", j + 1, wordCopy.c_str()));
        }
        pos += vecBytes;
    }
    wv.finishRows(storage);
}

int detectFormat(const String& path)
{
    const size_t dot = path.rfind('.');
    if (dot != String::npos && path.substr(dot) == ".bin")
        return WORDVEC_WORD2VEC_BINARY;
    detail::InputFile f(path, "WordVectors::load", INPUT_LIMIT_DATA_BYTES);
    char head[256];
    const size_t n = f.read(head, sizeof(head));
    std::string line(head, n);
    line = line.substr(0, line.find('\n'));
    long long a, b;
    return parseHeader(line, a, b) ? WORDVEC_TEXT : WORDVEC_GLOVE;
}

} // namespace

WordVectors::~WordVectors() {}

std::vector<String> WordVectors::splitLabel(const String& label)
{
    std::vector<String> out;
    String cur;
    for (char c : label)
    {
        if (c == '+' || c == '_' || c == ' ' || c == '\t' || c == '\n' || c == '\r')
        {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        }
        else
            cur += c;
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

Ptr<WordVectors> WordVectors::load(const String& filename, const WordVectorsLoadOptions& options)
{
    return detail::publicBoundary(cv::format("WordVectors::load('%s')", filename.c_str()).c_str(), [&]() -> Ptr<WordVectors> {
    if (options.maxWords < 0)
        CV_Error(Error::StsBadArg, cv::format("WordVectors::load: maxWords must be >= 0, got %d", options.maxWords));
    int format = options.format;
    if (format == WORDVEC_AUTO)
        format = detectFormat(filename);
    Ptr<WordVectorsImpl> wv = makePtr<WordVectorsImpl>(options.caseFold);
    if (!options.vocabulary.empty())
    {
        wv->filter_.reset(new std::unordered_set<std::string>());
        for (const String& entry : options.vocabulary)
            for (const String& w : splitLabel(entry))
                wv->filter_->insert(fold(w, options.caseFold));
    }
    switch (format)
    {
    case WORDVEC_WORD2VEC_BINARY:
        loadBinary(filename, options, *wv);
        break;
    case WORDVEC_TEXT:
    case WORDVEC_GLOVE:
    {
        TextLoader loader(filename, options, *wv, format == WORDVEC_TEXT);
        loader.run();
        break;
    }
    default:
        CV_Error(Error::StsOutOfRange, cv::format("WordVectors::load: unknown format %d", format));
    }
    wv->filter_.reset();
    CV_LOG_INFO(NULL, "WordVectors: loaded " << wv->size() << " x " << wv->dims() << " from " << filename);
    return wv;
    });
}

Ptr<WordVectors> WordVectors::create(const std::vector<String>& words, InputArray vectors, bool caseFold)
{
    Mat v = vectors.getMat();
    if (v.empty() || v.dims != 2 || v.channels() != 1)
        CV_Error(Error::StsBadArg, "WordVectors::create: vectors must be a non-empty 2-D single-channel matrix");
    if ((int)words.size() != v.rows)
        CV_Error(Error::StsBadSize, cv::format("WordVectors::create: %zu words but %d vector rows", words.size(), v.rows));
    if (!cv::checkRange(v, true))
        CV_Error(Error::StsBadArg, "WordVectors::create: vectors contain NaN or Inf");
    Ptr<WordVectorsImpl> wv = makePtr<WordVectorsImpl>(caseFold);
    for (size_t i = 0; i < words.size(); i++)
    {
        if (words[i].empty() || words[i].find_first_of(" \t\r\n") != String::npos)
            CV_Error(Error::StsBadArg, cv::format("WordVectors::create: word %zu ('%s') is empty or contains whitespace",
                                                  i, words[i].c_str()));
        if (wv->addWord(words[i]) < 0)
            CV_Error(Error::StsBadArg, cv::format("WordVectors::create: duplicate word '%s' (row %zu)", words[i].c_str(), i));
    }
    Mat f;
    v.convertTo(f, CV_32F);
    wv->finishRows(f.isContinuous() ? f : f.clone());
    return wv;
}

}} // namespace cv::zsl
