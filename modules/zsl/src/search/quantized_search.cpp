// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "search/quantized_search.hpp"
#include "search/cosine_search.hpp"
#include "eigen_bridge.hpp"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define ZSL_X86_KERNELS 1
#endif

namespace cv {
namespace zsl {
namespace detail {

namespace {

const int kChunk = 32;  // bytes per packed chunk = 64 dimensions
const int kCodeMax = 7; // codes in [-7, 7], stored +8 as a nibble
const int kFineSteps = 14; // the fine step is the coarse step / 14

// out[r] = sum_i lowNibble(codes_r[i]) * qLow[i] + highNibble(codes_r[i]) * qHigh[i] for n rows.
// There is no library routine for packed 4-bit x int8 products (BLAS works in float, Eigen has no
// nibble type), hence these kernels; the generic one is the reference the tests hold the others to.
typedef void (*DotsFn)(const int8_t* qLow, const int8_t* qHigh, const uint8_t* codes, int stride, int n, int32_t* out);

void dotsGeneric(const int8_t* qLow, const int8_t* qHigh, const uint8_t* codes, int stride, int n, int32_t* out)
{
    typedef Eigen::Matrix<uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> ByteMatrix;
    const Eigen::Map<const ByteMatrix> c(codes, n, stride);
    const Eigen::VectorXi ql = Eigen::Map<const Eigen::Matrix<int8_t, Eigen::Dynamic, 1>>(qLow, stride).cast<int>();
    const Eigen::VectorXi qh = Eigen::Map<const Eigen::Matrix<int8_t, Eigen::Dynamic, 1>>(qHigh, stride).cast<int>();
    Eigen::Map<Eigen::VectorXi>(out, n) = c.unaryExpr([](uint8_t b) { return (int)(b & 15); }) * ql
                                        + c.unaryExpr([](uint8_t b) { return (int)(b >> 4); }) * qh;
}

#ifdef ZSL_X86_KERNELS
__attribute__((target("avx2"))) void dotsAvx2(const int8_t* qLow, const int8_t* qHigh, const uint8_t* codes, int stride,
                                              int n, int32_t* out)
{
    const __m256i mask = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    for (int r = 0; r < n; r++)
    {
        const uint8_t* c = codes + (size_t)r * stride;
        __m256i acc = _mm256_setzero_si256();
        for (int i = 0; i < stride; i += kChunk)
        {
            const __m256i x = _mm256_loadu_si256((const __m256i*)(c + i));
            const __m256i lo = _mm256_and_si256(x, mask);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), mask);
            // unsigned nibble x signed byte, pairs summed in int16: at most 2*(2*15*127) = 7620, no saturation.
            const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i*)(qLow + i))),
                                               _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i*)(qHigh + i))));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
        }
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s = _mm_hadd_epi32(s, s);
        s = _mm_hadd_epi32(s, s);
        out[r] = _mm_cvtsi128_si32(s);
    }
}

// GCC 12's AVX-512 intrinsics start from uninitialised placeholders (_mm512_undefined_*), which
// -Wmaybe-uninitialized reports wherever they are inlined: a false positive, silenced here only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline __m512i dotStepVnni(__m512i acc, __m512i x, __m512i ql, __m512i qh)
{
    const __m512i mask = _mm512_set1_epi8(0x0F);
    acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(x, mask), ql);
    return _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(x, 4), mask), qh);
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void dotsVnni(const int8_t* qLow, const int8_t* qHigh,
                                                                    const uint8_t* codes, int stride, int n, int32_t* out)
{
    const int full = stride / 64 * 64;
    // A row of an odd number of chunks ends with half a register: a masked load zeroes the rest.
    const __mmask64 tail = stride > full ? (((__mmask64)1 << (stride - full)) - 1) : 0;
    const __m512i qlTail = _mm512_maskz_loadu_epi8(tail, qLow + full), qhTail = _mm512_maskz_loadu_epi8(tail, qHigh + full);
    int r = 0;
    // Four rows at a time: four independent accumulator chains hide the latency of vpdpbusd
    // (one chain per row left the loop latency-bound instead of memory-bound).
    for (; r + 4 <= n; r += 4)
    {
        const uint8_t* c = codes + (size_t)r * stride;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < full; i += 64)
        {
            const __m512i ql = _mm512_loadu_si512(qLow + i), qh = _mm512_loadu_si512(qHigh + i);
            a0 = dotStepVnni(a0, _mm512_loadu_si512(c + i), ql, qh);
            a1 = dotStepVnni(a1, _mm512_loadu_si512(c + stride + i), ql, qh);
            a2 = dotStepVnni(a2, _mm512_loadu_si512(c + 2 * stride + i), ql, qh);
            a3 = dotStepVnni(a3, _mm512_loadu_si512(c + 3 * stride + i), ql, qh);
        }
        if (tail)
        {
            a0 = dotStepVnni(a0, _mm512_maskz_loadu_epi8(tail, c + full), qlTail, qhTail);
            a1 = dotStepVnni(a1, _mm512_maskz_loadu_epi8(tail, c + stride + full), qlTail, qhTail);
            a2 = dotStepVnni(a2, _mm512_maskz_loadu_epi8(tail, c + 2 * stride + full), qlTail, qhTail);
            a3 = dotStepVnni(a3, _mm512_maskz_loadu_epi8(tail, c + 3 * stride + full), qlTail, qhTail);
        }
        out[r] = _mm512_reduce_add_epi32(a0);
        out[r + 1] = _mm512_reduce_add_epi32(a1);
        out[r + 2] = _mm512_reduce_add_epi32(a2);
        out[r + 3] = _mm512_reduce_add_epi32(a3);
    }
    for (; r < n; r++)
    {
        const uint8_t* c = codes + (size_t)r * stride;
        __m512i acc = _mm512_setzero_si512();
        for (int i = 0; i < full; i += 64)
            acc = dotStepVnni(acc, _mm512_loadu_si512(c + i), _mm512_loadu_si512(qLow + i), _mm512_loadu_si512(qHigh + i));
        if (tail)
            acc = dotStepVnni(acc, _mm512_maskz_loadu_epi8(tail, c + full), qlTail, qhTail);
        out[r] = _mm512_reduce_add_epi32(acc);
    }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

DotsFn kernelFunction(QuantizedRows::Kernel kernel)
{
    switch (kernel)
    {
#ifdef ZSL_X86_KERNELS
    case QuantizedRows::KERNEL_AVX2: return dotsAvx2;
    case QuantizedRows::KERNEL_AVX512_VNNI: return dotsVnni;
#endif
    default: return dotsGeneric;
    }
}

QuantizedRows::Kernel bestKernel()
{
    if (QuantizedRows::kernelSupported(QuantizedRows::KERNEL_AVX512_VNNI))
        return QuantizedRows::KERNEL_AVX512_VNNI;
    if (QuantizedRows::kernelSupported(QuantizedRows::KERNEL_AVX2))
        return QuantizedRows::KERNEL_AVX2;
    return QuantizedRows::KERNEL_GENERIC;
}

// Position of dimension d in the packed layout: byte index and whether it is the high nibble.
inline void packedPosition(int d, int& byte, bool& high)
{
    const int chunk = d / 64, within = d % 64;
    byte = chunk * kChunk + within % kChunk;
    high = within >= kChunk;
}

// Round to nearest (ties to even) for |x| < 2^22: adding and removing 1.5 * 2^23 leaves the rounded
// value, in SIMD. Eigen's round() calls roundf() per value in a baseline x86-64 build (no SSE4.1),
// which made building the codes of 2M rows take seconds.
template <typename Expr>
Eigen::ArrayXf roundNearest(const Expr& x)
{
    const float magic = 12582912.f;
    Eigen::ArrayXf r = x + magic;
    return r - magic;
}

// A row that may still be in the top k: its upper bound, and its coarse dot product (so that the
// fine level does not read the row's coarse codes again).
struct Candidate
{
    float upper;
    int row;
    int32_t coarseDot;
};

// Scans n approximate scores of candidates `in` (their upper bounds are replaced) with their
// half-widths: keeps the k best lower bounds in `lower` (a min-heap) and appends to `out` every
// candidate whose upper bound reaches the k-th best lower bound seen so far.
void keepReachable(const float* approx, const float* width, const Candidate* in, int n, int k,
                   std::vector<float>& lower, std::vector<Candidate>& out)
{
    int i = 0;
    // Until k lower bounds are known every row is reachable.
    for (; i < n && (int)lower.size() < k; i++)
    {
        lower.push_back(approx[i] - width[i]);
        std::push_heap(lower.begin(), lower.end(), std::greater<float>());
        out.push_back(Candidate{ approx[i] + width[i], in[i].row, in[i].coarseDot });
    }
    float cut = lower.empty() ? -FLT_MAX : lower.front();
    for (; i < n; i++)
    {
        const float up = approx[i] + width[i];
        if (up < cut) // the common case once the cut is established: one compare per row
            continue;
        const float lo = approx[i] - width[i];
        if (lo > cut)
        {
            std::pop_heap(lower.begin(), lower.end(), std::greater<float>());
            lower.back() = lo;
            std::push_heap(lower.begin(), lower.end(), std::greater<float>());
            cut = lower.front();
        }
        if (up >= cut)
            out.push_back(Candidate{ up, in[i].row, in[i].coarseDot });
    }
}

// The candidates whose upper bound reaches the k-th best of all lower bounds: no other row can be
// in the top k. In row order.
std::vector<Candidate> reachable(const std::vector<std::vector<Candidate>>& candidates,
                                 const std::vector<std::vector<float>>& lowers, int k)
{
    std::vector<float> all;
    for (const std::vector<float>& l : lowers)
        all.insert(all.end(), l.begin(), l.end());
    CV_Assert((int)all.size() >= k);
    std::nth_element(all.begin(), all.begin() + (k - 1), all.end(), std::greater<float>());
    const float cut = all[k - 1];
    std::vector<Candidate> kept;
    for (const std::vector<Candidate>& block : candidates)
        for (const Candidate& c : block)
            if (c.upper >= cut)
                kept.push_back(c);
    return kept;
}

} // namespace

bool QuantizedRows::kernelSupported(Kernel kernel)
{
    switch (kernel)
    {
    case KERNEL_AUTO:
    case KERNEL_GENERIC: return true;
#ifdef ZSL_X86_KERNELS
    case KERNEL_AVX2: return cv::checkHardwareSupport(CV_CPU_AVX2);
    case KERNEL_AVX512_VNNI:
        return cv::checkHardwareSupport(CV_CPU_AVX_512F) && cv::checkHardwareSupport(CV_CPU_AVX_512BW)
            && cv::checkHardwareSupport(CV_CPU_AVX_512VNNI);
#endif
    default: return false;
    }
}

const char* QuantizedRows::kernelName()
{
    static const char* names[] = { "auto", "generic", "avx2", "avx512-vnni" };
    return names[bestKernel()];
}

void QuantizedRows::setKernel(Kernel kernel)
{
    if (!kernelSupported(kernel))
        CV_Error(Error::StsNotImplemented, cv::format("zsl quantized search: kernel %d is not supported on this CPU", (int)kernel));
    kernel_ = kernel;
}

QuantizedRows::QuantizedRows(const Mat& gallery, const std::vector<float>& scale)
{
    CV_Assert(gallery.type() == CV_32FC1 && gallery.isContinuous());
    CV_Assert(scale.empty() || scale.size() == (size_t)gallery.rows);
    rows_ = gallery.rows;
    dims_ = gallery.cols;
    stride_ = (dims_ + 63) / 64 * kChunk;
    coarse_.create(rows_, stride_, CV_8U);
    fine_.create(rows_, stride_, CV_8U);
    step_.resize(rows_);
    coarseError_.resize(rows_);
    coarseNorm_.resize(rows_);
    fineError_.resize(rows_);
    fineNorm_.resize(rows_);
    const int chunks = stride_ / kChunk;
    // Float sums of squares are off by at most D * eps relatively; the bounds must not come out
    // smaller than the truth, hence the inflation.
    const float inflate = 1.f + 1e-6f * (float)dims_ + 1e-6f;
    cv::parallel_for_(Range(0, rows_), [&](const Range& r) {
        Eigen::ArrayXf v(dims_), c1(dims_), c2(dims_), e(dims_);
        Eigen::ArrayXi nibble = Eigen::ArrayXi::Constant(chunks * 64, 8); // code + 8, padding code 0
        auto pack = [&](const Eigen::ArrayXf& c, uint8_t* row) {
            nibble.head(dims_) = c.cast<int>() + 8;
            for (int j = 0; j < chunks; j++)
                Eigen::Map<Eigen::Array<uint8_t, kChunk, 1>>(row + j * kChunk) =
                    (nibble.segment<kChunk>(j * 64) + 16 * nibble.segment<kChunk>(j * 64 + kChunk)).cast<uint8_t>();
        };
        for (int n = r.start; n < r.end; n++)
        {
            v = Eigen::Map<const Eigen::ArrayXf>(gallery.ptr<float>(n), dims_) * (scale.empty() ? 1.f : scale[n]);
            const float maxAbs = v.abs().maxCoeff();
            const float s = maxAbs > 0 ? maxAbs / kCodeMax : 0.f;
            if (s > 0)
            {
                c1 = roundNearest(v / s).max((float)-kCodeMax).min((float)kCodeMax);
                // |v - s c1| <= s/2 per value: the fine codes, step s/14, span it with [-7, 7].
                c2 = roundNearest((v - c1 * s) / (s / kFineSteps)).max((float)-kCodeMax).min((float)kCodeMax);
            }
            else
            {
                c1.setZero();
                c2.setZero();
            }
            step_[n] = s;
            e = v - c1 * s;
            coarseError_[n] = e.matrix().norm() * inflate;
            coarseNorm_[n] = c1.matrix().norm() * s * inflate;
            e -= c2 * (s / kFineSteps);
            fineError_[n] = e.matrix().norm() * inflate;
            fineNorm_[n] = (c1 * s + c2 * (s / kFineSteps)).matrix().norm() * inflate;
            pack(c1, coarse_.ptr<uint8_t>(n));
            pack(c2, fine_.ptr<uint8_t>(n));
        }
    });
}

size_t QuantizedRows::memoryBytes() const
{
    return coarse_.total() + fine_.total() + 5 * step_.size() * sizeof(float);
}

void QuantizedRows::topK(const float* q, const Mat& gallery, const std::vector<float>& scale, int k,
                         int* indices, float* scores) const
{
    CV_Assert(k >= 1 && k <= rows_ && gallery.rows == rows_ && gallery.cols == dims_);
    const Eigen::Map<const Eigen::ArrayXf> qa(q, dims_);
    const float qMax = qa.abs().maxCoeff();
    if (!(qMax > 0))
    {
        // A zero query scores 0 everywhere: ties go to the lowest rows.
        for (int j = 0; j < k; j++)
        {
            indices[j] = j;
            scores[j] = 0.f;
        }
        return;
    }
    const QueryCodes qc = encodeQuery(q);
    const DotsFn dots = kernelFunction(kernel_ == KERNEL_AUTO ? bestKernel() : kernel_);
    const int8_t *qLow = qc.low.data(), *qHigh = qc.high.data();

    // 1. Coarse pass over all rows, in blocks, in parallel: approximate scores, the k best lower
    //    bounds of each range of blocks, and the rows whose upper bound reaches the range's k-th
    //    lower bound so far (a superset of those reaching the gallery's k-th lower bound, the final
    //    cut). Ranges span many blocks so that the running cut is high after the first block.
    const int block = 8192;
    const int nBlocks = (rows_ + block - 1) / block;
    std::vector<std::vector<Candidate>> candidates(nBlocks);
    std::vector<std::vector<float>> lowers(nBlocks); // used at each range's first block
    cv::parallel_for_(Range(0, nBlocks), [&](const Range& r) {
        std::vector<int32_t> dot(block);
        std::vector<float> approx(block), width(block);
        std::vector<Candidate> rows(block);
        for (int b = r.start; b < r.end; b++)
        {
            const int n0 = b * block, nb = std::min(block, rows_ - n0);
            dots(qLow, qHigh, coarse_.ptr<uint8_t>(n0), stride_, nb, dot.data());
            coarseBounds(qc, n0, nb, dot.data(), approx.data(), width.data());
            for (int j = 0; j < nb; j++)
                rows[j] = Candidate{ 0.f, n0 + j, dot[j] };
            keepReachable(approx.data(), width.data(), rows.data(), nb, k, lowers[r.start], candidates[b]);
        }
    }, std::max(1, std::min(nBlocks, 4 * cv::getNumThreads())));
    std::vector<Candidate> coarse = reachable(candidates, lowers, k);

    // 2. The survivors (a few thousand rows on clustered data) again with their fine codes.
    candidates.assign(1, std::vector<Candidate>());
    lowers.assign(1, std::vector<float>());
    {
        std::vector<float> approx(coarse.size()), width(coarse.size());
        cv::parallel_for_(Range(0, (int)coarse.size()), [&](const Range& r) {
            for (int i = r.start; i < r.end; i++)
            {
                const int n = coarse[i].row;
                int32_t fineDot;
                dots(qLow, qHigh, fine_.ptr<uint8_t>(n), stride_, 1, &fineDot);
                approx[i] = fineScore(qc, n, coarse[i].coarseDot, fineDot);
                width[i] = fineWidth(qc, n);
            }
        });
        keepReachable(approx.data(), width.data(), coarse.data(), (int)coarse.size(), k, lowers[0], candidates[0]);
    }
    const std::vector<Candidate> fine = reachable(candidates, lowers, k);

    // Exact scores of the survivors, computed as the float path does (dot, then the row scale), ranked
    // with the float path's tie rule.
    CV_Assert((int)fine.size() >= k);
    const Eigen::Map<const Eigen::VectorXf> qv(q, dims_);
    TopK top(k);
    for (const Candidate& c : fine)
    {
        float s = Eigen::Map<const Eigen::VectorXf>(gallery.ptr<float>(c.row), dims_).dot(qv);
        if (!scale.empty())
            s *= scale[c.row];
        top.push(s, c.row);
    }
    top.write(indices, scores);
}

QuantizedRows::QueryCodes QuantizedRows::encodeQuery(const float* q) const
{
    QueryCodes qc;
    const Eigen::Map<const Eigen::ArrayXf> qa(q, dims_);
    const float qMax = qa.abs().maxCoeff();
    CV_Assert(qMax > 0);
    // Codes laid out as the rows' low and high nibbles (padding 0).
    qc.step = qMax / 127.f;
    const Eigen::ArrayXf cq = roundNearest(qa / qc.step).max(-127.f).min(127.f);
    qc.low.assign(stride_, 0);
    qc.high.assign(stride_, 0);
    for (int d = 0; d < dims_; d++)
    {
        int byte;
        bool high;
        packedPosition(d, byte, high);
        (high ? qc.high : qc.low)[byte] = (int8_t)cq[d];
    }
    qc.offset = 8 * (int32_t)cq.sum(); // stored nibbles are code + 8
    const double qNorm = qa.cast<double>().matrix().norm() * (1 + 1e-6);
    const double qError = (qa.cast<double>() - cq.cast<double>() * (double)qc.step).matrix().norm() * (1 + 1e-6);
    // Float products round by a few eps: one more relative 1e-6 keeps the widths certified.
    qc.norm = (float)(qNorm * (1 + 1e-6));
    qc.error = (float)(qError * (1 + 1e-6));
    // A row may be dropped only if its *computed* exact score (a float dot product, off the real one
    // by at most ~D * eps * ||q|| for unit rows) cannot reach the top k either: widen by twice that.
    qc.slack = (float)(qNorm * (2.5e-7 * dims_ + 1e-6));
    return qc;
}

void QuantizedRows::bounds(const float* q, int row, float& coarse, float& coarseHalfWidth, float& fine,
                           float& fineHalfWidth) const
{
    CV_Assert(row >= 0 && row < rows_);
    const QueryCodes qc = encodeQuery(q);
    const DotsFn dots = kernelFunction(kernel_ == KERNEL_AUTO ? bestKernel() : kernel_);
    int32_t coarseDot, fineDot;
    dots(qc.low.data(), qc.high.data(), coarse_.ptr<uint8_t>(row), stride_, 1, &coarseDot);
    dots(qc.low.data(), qc.high.data(), fine_.ptr<uint8_t>(row), stride_, 1, &fineDot);
    coarseBounds(qc, row, 1, &coarseDot, &coarse, &coarseHalfWidth);
    fine = fineScore(qc, row, coarseDot, fineDot);
    fineHalfWidth = fineWidth(qc, row);
}

void QuantizedRows::coarseBounds(const QueryCodes& qc, int first, int n, const int32_t* dot, float* approx,
                                 float* halfWidth) const
{
    const Eigen::Map<const Eigen::ArrayXf> step(step_.data() + first, n), err(coarseError_.data() + first, n),
        norm(coarseNorm_.data() + first, n);
    Eigen::Map<Eigen::ArrayXf>(approx, n) = (Eigen::Map<const Eigen::ArrayXi>(dot, n) - qc.offset).cast<float>() * step * qc.step;
    Eigen::Map<Eigen::ArrayXf>(halfWidth, n) = err * qc.norm + norm * qc.error + qc.slack;
}

float QuantizedRows::fineScore(const QueryCodes& qc, int row, int32_t coarseDot, int32_t fineDot) const
{
    // s_q <c_q, s c + s/14 f>, in exact integers until the last two products.
    return (float)(kFineSteps * (coarseDot - qc.offset) + (fineDot - qc.offset)) * (step_[row] / kFineSteps) * qc.step;
}

float QuantizedRows::fineWidth(const QueryCodes& qc, int row) const
{
    return fineError_[row] * qc.norm + fineNorm_[row] * qc.error + qc.slack;
}

std::shared_ptr<const QuantizedRows> LazyQuantizedRows::get(const Mat& gallery, const std::vector<float>& scale) const
{
    if (gallery.rows < kMinRows)
        return std::shared_ptr<const QuantizedRows>();
    std::lock_guard<std::mutex> lock(mutex_);
    if (!rows_)
        rows_ = std::make_shared<const QuantizedRows>(gallery, scale);
    return rows_;
}

void LazyQuantizedRows::reset()
{
    std::lock_guard<std::mutex> lock(mutex_);
    rows_.reset();
}

}}} // namespace cv::zsl::detail
