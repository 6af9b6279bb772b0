// This file is part of the opencv_zsl module (cv::zsl).
// Sufficient statistics of the closed-form methods: accumulate, merge, save/load, train.
#include "precomp.hpp"
#include "opencv2/zsl/training_statistics.hpp"
#include "opencv2/zsl/atomic_file.hpp"
#include "methods/closed_form.hpp"
#include "methods/compatibility_model.hpp"
#include "io/input_file.hpp"
#include <cstring>
#include <unordered_set>
#include <zlib.h>

namespace cv {
namespace zsl {

using namespace detail;

namespace {

// File layout (little-endian): magic, u32 version, u32 flags (bit 0: normalised features), u32 D, u32 C,
// D*D doubles (Gram, row-major), C*D doubles (class sums), C doubles (counts), u32 CRC-32 of all before it.
const char kMagic[8] = {'Z', 'S', 'L', 'S', 'T', 'A', 'T', 'S'};
const uint32_t kVersion = 1;
const size_t kHeaderBytes = sizeof(kMagic) + 4 * sizeof(uint32_t);

uint64 payloadDoubles(uint64 D, uint64 C) { return D * D + C * D + C; }

//! CRC-32 of `n` bytes continuing `crc` (0 to start).
uLong crcUpdate(uLong crc, const char* data, size_t n)
{
    // zlib takes uInt lengths: feed large buffers in pieces.
    while (n > 0)
    {
        const uInt piece = (uInt)std::min<size_t>(n, 1u << 30);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(data), piece);
        data += piece;
        n -= piece;
    }
    return crc;
}

void checkDims(int featureDim, int numClasses, const char* what)
{
    if (featureDim < 1 || featureDim > bounds::kMaxDims)
        CV_Error(Error::StsOutOfRange, cv::format("%s: feature dimension %d must be in [1, %d] (bounds::kMaxDims)",
                                                  what, featureDim, bounds::kMaxDims));
    if (numClasses < 1 || numClasses > bounds::kMaxClasses)
        CV_Error(Error::StsOutOfRange, cv::format("%s: %d classes, must be in [1, %d] (bounds::kMaxClasses)",
                                                  what, numClasses, bounds::kMaxClasses));
}

/** Throws unless the statistics could come from samples: finite, symmetric Gram matrix with a
    non-negative diagonal, finite sums, counts that are non-negative integers. */
void validate(const ClosedFormStatistics& s, const char* what)
{
    if (!s.gram.allFinite() || !s.classSums.allFinite() || !s.counts.allFinite())
        CV_Error(Error::StsBadArg, cv::format("%s: non-finite values (NaN or Inf) in the statistics", what));
    // Exactly symmetric when built by add()/merge() (entries (i, j) and (j, i) see the same additions);
    // an engine's own reduction may differ by rounding.
    const double scale = std::max(s.gram.diagonal().cwiseAbs().maxCoeff(), 1.0);
    const double asym = (s.gram - s.gram.transpose()).cwiseAbs().maxCoeff();
    if (asym > 1e-9 * scale)
        CV_Error(Error::StsBadArg, cv::format("%s: the Gram matrix is not symmetric (|G - G^T| = %g)", what, asym));
    if ((s.gram.diagonal().array() < 0).any())
        CV_Error(Error::StsBadArg, cv::format("%s: the Gram matrix has a negative diagonal entry", what));
    for (Eigen::Index c = 0; c < s.counts.size(); c++)
    {
        const double n = s.counts[c];
        if (!(n >= 0) || n != std::floor(n) || n > 9007199254740992.0)
            CV_Error(Error::StsBadArg, cv::format("%s: count of class %d is %.17g (not a non-negative integer)",
                                                  what, (int)c, n));
    }
}

Mat toMat64(const Eigen::MatrixXd& m)
{
    Mat out((int)m.rows(), (int)m.cols(), CV_64F);
    Eigen::Map<RowMatrixXd>(out.ptr<double>(), m.rows(), m.cols()) = m;
    return out;
}

Eigen::MatrixXd fromMat64(InputArray input, int rows, int cols, const char* what, const char* name)
{
    Mat m = input.getMat();
    if (m.channels() != 1 || m.dims > 2 || m.rows != rows || m.cols != cols)
        CV_Error(Error::StsBadSize, cv::format("%s: %s is %d x %d x %d, expected %d x %d single-channel",
                                               what, name, m.rows, m.cols, m.channels(), rows, cols));
    Mat d;
    m.convertTo(d, CV_64F);
    if (!d.isContinuous())
        d = d.clone();
    return Eigen::Map<const RowMatrixXd>(d.ptr<double>(), rows, cols);
}

class TrainingStatisticsImpl CV_FINAL : public TrainingStatistics
{
public:
    TrainingStatisticsImpl(int featureDim, int numClasses, bool normalize)
        : stats_(featureDim, numClasses), normalize_(normalize)
    {
    }

    TrainingStatisticsImpl(ClosedFormStatistics stats, bool normalize) : stats_(std::move(stats)), normalize_(normalize) {}

    void add(InputArray features, InputArray labels) CV_OVERRIDE
    {
        const char* what = "zsl TrainingStatistics::add";
        publicBoundary(what, [&] {
            // Continuous CV_32F rows are read in place (a shard can be most of a machine's memory); others
            // are converted, and normalised rows need their own copy.
            const Mat m = features.getMat();
            RowMatrixXf copy;
            ConstRowMapXf X(nullptr, 0, 0);
            if (!normalize_ && m.type() == CV_32FC1 && m.dims == 2 && !m.empty() && m.isContinuous())
            {
                checkFinite(m, "zsl TrainingStatistics::add: features");
                new (&X) ConstRowMapXf(m.ptr<float>(), m.rows, m.cols);
            }
            else
            {
                copy = toEigen(m, "zsl TrainingStatistics::add: features");
                if (normalize_)
                    normalizeRows(copy);
                new (&X) ConstRowMapXf(copy.data(), copy.rows(), copy.cols());
            }
            if (X.cols() != stats_.featureDim())
                CV_Error(Error::StsBadSize, cv::format("%s: features have %d columns, the statistics %d (feature dimension)",
                                                       what, (int)X.cols(), stats_.featureDim()));
            const std::vector<int> y = toLabels(labels, stats_.numClasses(), "zsl TrainingStatistics::add: labels");
            if ((Eigen::Index)y.size() != X.rows())
                CV_Error(Error::StsBadSize, cv::format("%s: %d feature rows but %d labels", what, (int)X.rows(), (int)y.size()));
            ClosedFormStatistics part(stats_.featureDim(), stats_.numClasses());
            part.add(X, y);
            if (!part.gram.allFinite() || !part.classSums.allFinite())
                CV_Error(Error::StsBadArg, cv::format("%s: the features overflow float (values too large)", what));
            stats_.merge(part);
        });
    }

    void merge(const Ptr<TrainingStatistics>& other) CV_OVERRIDE
    {
        const char* what = "zsl TrainingStatistics::merge";
        const TrainingStatisticsImpl* o = dynamic_cast<const TrainingStatisticsImpl*>(other.get());
        if (!o)
            CV_Error(Error::StsNullPtr, cv::format("%s: the other statistics are null or not from TrainingStatistics::create", what));
        if (o->stats_.featureDim() != stats_.featureDim() || o->stats_.numClasses() != stats_.numClasses())
            CV_Error(Error::StsBadSize, cv::format("%s: %d-d features x %d classes cannot be merged into %d-d x %d classes",
                                                   what, o->stats_.featureDim(), o->stats_.numClasses(),
                                                   stats_.featureDim(), stats_.numClasses()));
        if (o->normalize_ != normalize_)
            CV_Error(Error::StsBadArg, cv::format("%s: one side normalised its features (normalizeFeatures), the other not", what));
        if (o == this)
        {
            const ClosedFormStatistics copy = stats_;
            stats_.merge(copy);
        }
        else
            stats_.merge(o->stats_);
    }

    Ptr<TrainingStatistics> selectClasses(const std::vector<int>& classes) const CV_OVERRIDE
    {
        const char* what = "zsl TrainingStatistics::selectClasses";
        const int C = stats_.numClasses();
        if (classes.empty())
            CV_Error(Error::StsBadArg, cv::format("%s: no classes given", what));
        std::vector<char> kept(C, 0);
        for (int c : classes)
        {
            if (c < 0 || c >= C)
                CV_Error(Error::StsOutOfRange, cv::format("%s: class %d is out of range [0, %d)", what, c, C));
            if (kept[c]++)
                CV_Error(Error::StsBadArg, cv::format("%s: class %d is given twice", what, c));
        }
        for (int c = 0; c < C; c++)
            if (!kept[c] && stats_.counts[c] != 0)
                CV_Error(Error::StsBadArg, cv::format("%s: class %d is left out but has %.0f samples (they are part of the "
                                                      "Gram matrix)", what, c, stats_.counts[c]));
        ClosedFormStatistics out(stats_.featureDim(), (int)classes.size());
        out.gram = stats_.gram;
        for (size_t i = 0; i < classes.size(); i++)
        {
            out.classSums.row(i) = stats_.classSums.row(classes[i]);
            out.counts[i] = stats_.counts[classes[i]];
        }
        return makePtr<TrainingStatisticsImpl>(std::move(out), normalize_);
    }

    Ptr<ZeroShotClassifier> train(const ZeroShotClassifier::Params& params, const ClassPrototypes& seen) const CV_OVERRIDE
    {
        const char* what = "zsl TrainingStatistics::train";
        if (params.method != ZeroShotClassifier::ESZSL && params.method != ZeroShotClassifier::SAE)
            CV_Error(Error::StsNotImplemented,
                     cv::format("%s: %s cannot be trained from sufficient statistics (only the closed-form methods ESZSL and SAE)",
                                what, methodName(params.method).c_str()));
        if (params.normalizeFeatures != normalize_)
            CV_Error(Error::StsBadArg, cv::format("%s: params.normalizeFeatures = %d but the statistics were created with "
                                                  "normalizeFeatures = %d", what, (int)params.normalizeFeatures, (int)normalize_));
        if (seen.size() != stats_.numClasses())
            CV_Error(Error::StsBadSize, cv::format("%s: %d seen prototypes for statistics of %d classes", what, seen.size(),
                                                   stats_.numClasses()));
        if (!(stats_.numSamples() > 0))
            CV_Error(Error::StsBadArg, cv::format("%s: no samples were added", what));
        return publicBoundary(what, [&] {
            return createTrainedClassifier(params, seen, [&](CompatibilityModel& model, const RowMatrixXf& S) {
                model.trainFromStatistics(stats_, S);
            });
        });
    }

    void save(const String& filename) const CV_OVERRIDE
    {
        publicBoundary("zsl TrainingStatistics::save", [&] {
            const uint64 D = (uint64)stats_.featureDim(), C = (uint64)stats_.numClasses();
            std::string bytes(kHeaderBytes + 8 * payloadDoubles(D, C), '\0');
            char* p = &bytes[0];
            std::memcpy(p, kMagic, sizeof(kMagic));
            const uint32_t header[4] = {kVersion, normalize_ ? 1u : 0u, (uint32_t)D, (uint32_t)C};
            std::memcpy(p + sizeof(kMagic), header, sizeof(header));
            double* values = reinterpret_cast<double*>(p + kHeaderBytes);
            Eigen::Map<RowMatrixXd>(values, D, D) = stats_.gram;
            Eigen::Map<RowMatrixXd>(values + D * D, C, D) = stats_.classSums;
            Eigen::Map<Eigen::VectorXd>(values + D * D + C * D, C) = stats_.counts;
            const uint32_t crc = (uint32_t)crcUpdate(0, bytes.data(), bytes.size());
            bytes.append(reinterpret_cast<const char*>(&crc), sizeof(crc));
            writeFileAtomically(filename, bytes);
        });
    }

    Ptr<TrainingStatistics> clone() const CV_OVERRIDE { return makePtr<TrainingStatisticsImpl>(stats_, normalize_); }

    int featureDim() const CV_OVERRIDE { return stats_.featureDim(); }
    int numClasses() const CV_OVERRIDE { return stats_.numClasses(); }
    double numSamples() const CV_OVERRIDE { return stats_.numSamples(); }
    bool normalizesFeatures() const CV_OVERRIDE { return normalize_; }
    Mat getGram() const CV_OVERRIDE { return toMat64(stats_.gram); }
    Mat getClassSums() const CV_OVERRIDE { return toMat64(stats_.classSums); }
    Mat getClassCounts() const CV_OVERRIDE { return toMat64(stats_.counts); }

private:
    ClosedFormStatistics stats_;
    bool normalize_;
};

} // namespace

TrainingStatistics::~TrainingStatistics() {}

Ptr<TrainingStatistics> TrainingStatistics::create(int featureDim, int numClasses, bool normalizeFeatures)
{
    checkDims(featureDim, numClasses, "zsl TrainingStatistics::create");
    return publicBoundary("zsl TrainingStatistics::create",
                          [&] { return makePtr<TrainingStatisticsImpl>(featureDim, numClasses, normalizeFeatures); });
}

Ptr<TrainingStatistics> TrainingStatistics::fromMatrices(InputArray gram, InputArray classSums, InputArray classCounts,
                                                         bool normalizeFeatures)
{
    const char* what = "zsl TrainingStatistics::fromMatrices";
    const Mat g = gram.getMat(), s = classSums.getMat(), n = classCounts.getMat();
    checkDims(g.cols, s.rows, what);
    if (n.total() != (size_t)s.rows || (n.rows != 1 && n.cols != 1))
        CV_Error(Error::StsBadSize, cv::format("%s: %d x %d class counts for %d classes (class sums' rows)", what,
                                               n.rows, n.cols, s.rows));
    return publicBoundary(what, [&] {
        ClosedFormStatistics stats(g.cols, s.rows);
        stats.gram = fromMat64(g, g.cols, g.cols, what, "the Gram matrix");
        stats.classSums = fromMat64(s, s.rows, g.cols, what, "the class sums");
        stats.counts = fromMat64(n.reshape(1, (int)n.total()), s.rows, 1, what, "the class counts");
        validate(stats, what);
        stats.gram = 0.5 * (stats.gram + stats.gram.transpose()).eval();
        return Ptr<TrainingStatistics>(makePtr<TrainingStatisticsImpl>(std::move(stats), normalizeFeatures));
    });
}

Ptr<TrainingStatistics> TrainingStatistics::load(const String& filename)
{
    const String where = "zsl TrainingStatistics::load('" + escapeForMessage(filename) + "')";
    return publicBoundary(where.c_str(), [&] {
        InputFile file(filename, "zsl TrainingStatistics::load", INPUT_LIMIT_DATA_BYTES);
        char header[kHeaderBytes];
        if (file.size() < kHeaderBytes + sizeof(uint32_t) || file.read(header, kHeaderBytes) != kHeaderBytes)
            CV_Error(Error::StsParseError, cv::format("%s: truncated (%llu bytes, no complete header)", where.c_str(),
                                                      (unsigned long long)file.size()));
        if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0)
            CV_Error(Error::StsParseError, cv::format("%s: not a statistics file (bad magic)", where.c_str()));
        uint32_t fields[4];
        std::memcpy(fields, header + sizeof(kMagic), sizeof(fields));
        if (fields[0] != kVersion)
            CV_Error(Error::StsParseError, cv::format("%s: format version %u, this build reads version %u", where.c_str(),
                                                      fields[0], kVersion));
        if (fields[1] > 1)
            CV_Error(Error::StsParseError, cv::format("%s: unknown flags 0x%x", where.c_str(), fields[1]));
        if (fields[2] < 1 || fields[2] > (uint32_t)bounds::kMaxDims || fields[3] < 1 || fields[3] > (uint32_t)bounds::kMaxClasses)
            CV_Error(Error::StsParseError, cv::format("%s: %u-d features x %u classes is out of bounds (bounds::kMaxDims = %d, "
                                                      "bounds::kMaxClasses = %d)", where.c_str(), fields[2], fields[3],
                                                      bounds::kMaxDims, bounds::kMaxClasses));
        const uint64 D = fields[2], C = fields[3];
        const uint64 expected = kHeaderBytes + 8 * payloadDoubles(D, C) + sizeof(uint32_t);
        // Sizes checked before the allocation: a hostile header cannot request more than the file holds.
        if (file.size() != expected)
            CV_Error(Error::StsParseError, cv::format("%s: %llu bytes, but %llu-d x %llu classes take %llu (truncated or corrupt)",
                                                      where.c_str(), (unsigned long long)file.size(), (unsigned long long)D,
                                                      (unsigned long long)C, (unsigned long long)expected));
        std::string rest(expected - kHeaderBytes, '\0');
        if (file.read(&rest[0], rest.size()) != rest.size())
            CV_Error(Error::StsParseError, cv::format("%s: truncated while reading", where.c_str()));
        uint32_t stored = 0;
        std::memcpy(&stored, rest.data() + rest.size() - sizeof(stored), sizeof(stored));
        const uint32_t computed = (uint32_t)crcUpdate(crcUpdate(0, header, kHeaderBytes), rest.data(),
                                                      rest.size() - sizeof(stored));
        if (computed != stored)
            CV_Error(Error::StsParseError, cv::format("%s: checksum mismatch (corrupt file)", where.c_str()));
        const double* values = reinterpret_cast<const double*>(rest.data());
        ClosedFormStatistics stats((int)D, (int)C);
        stats.gram = Eigen::Map<const RowMatrixXd>(values, D, D);
        stats.classSums = Eigen::Map<const RowMatrixXd>(values + D * D, C, D);
        stats.counts = Eigen::Map<const Eigen::VectorXd>(values + D * D + C * D, C);
        validate(stats, where.c_str());
        return Ptr<TrainingStatistics>(makePtr<TrainingStatisticsImpl>(std::move(stats), fields[1] != 0));
    });
}

}} // namespace cv::zsl
