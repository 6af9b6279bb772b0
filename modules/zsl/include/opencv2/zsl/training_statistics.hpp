// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_TRAINING_STATISTICS_HPP
#define OPENCV_ZSL_TRAINING_STATISTICS_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl/prototypes.hpp"
#include "opencv2/zsl/zero_shot_classifier.hpp"

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Sufficient statistics of the closed-form methods (ESZSL, SAE), accumulated from shards of
the training set and merged: exact training beyond one machine on any engine (MPI, Spark, Dask, Slurm).

ESZSL and SAE read the training set only through
- the Gram matrix X^T X (D x D),
- the per-class sums of the feature rows (C x D) and
- the per-class sample counts (C),
all sums over samples. The statistics of a concatenation of shards are therefore the sums of the
statistics of the shards: accumulate one object per shard (add()), combine them (merge(), or an engine's
own reduction of getGram() / getClassSums() / getClassCounts() rebuilt by fromMatrices()), and train()
gives the classifier that ZeroShotClassifier::train() gives on the concatenated data (equal up to
rounding: everything is accumulated in double, the rows widened from float). ZeroShotClassifier::train()
of SAE is itself add() followed by the same solve (weights agree to ~1e-12); that of ESZSL forms the Gram
matrix from float rank updates and refines its solve against the rows in double, which agrees with these
statistics to the float rounding of the weights (~1e-7 relative).

Size: (D^2 + C D + C) doubles whatever the number of samples, e.g. 32 MiB for D = 2048.
The iterative methods (DeViSE, ALE, SJE, MLP, GENERATIVE, ConSE) have no such statistics; train()
refuses them.

Determinism: a result depends only on the rows, their order within each add() call and the order
of the merges (floating-point addition is not associative: merge in a fixed order, e.g. by shard
index, for bit-identical models across runs). Thread count does not change it.

Thread safety: the const methods (getters, save(), train(), selectClasses(), clone()) may run
concurrently from several threads; add() and merge() modify the object and must not run concurrently
with any other call on it. Different objects are independent.

@code
    using namespace cv::zsl;
    Ptr<TrainingStatistics> total = TrainingStatistics::create(featureDim, seen.size());
    for (int shard = 0; shard < numShards; shard++)          // or one process per shard, then load()
    {
        Ptr<TrainingStatistics> part = TrainingStatistics::create(featureDim, seen.size());
        part->add(shardFeatures[shard], shardLabels[shard]);   // labels index rows of `seen`
        total->merge(part);                                   // fixed order: by shard index
    }
    Ptr<ZeroShotClassifier> zsl = total->train(ZeroShotClassifier::Params(), seen);
@endcode
*/
class CV_EXPORTS_W TrainingStatistics
{
public:
    virtual ~TrainingStatistics();

    /** @brief Empty statistics (no samples yet).
    @param featureDim D, in [1, bounds::kMaxDims].
    @param numClasses C (seen classes: labels are in [0, C)), in [1, bounds::kMaxClasses].
    @param normalizeFeatures L2-normalise each row before accumulating it; train() then requires
    Params::normalizeFeatures to match (the classifier normalises the rows it labels the same way).
    */
    CV_WRAP static Ptr<TrainingStatistics> create(int featureDim, int numClasses, bool normalizeFeatures = false);

    /** @brief Statistics from their matrices (an engine's own reduction of getGram(), getClassSums() and
    getClassCounts(), e.g. Spark's treeAggregate or MPI_Allreduce).
    @param gram D x D, symmetric, finite.
    @param classSums C x D, finite.
    @param classCounts C values (a row or a column), non-negative integers.
    @param normalizeFeatures whether the rows were L2-normalised (see create()).
    @throws cv::Exception on a shape mismatch, a non-finite or asymmetric Gram matrix, a negative or
    fractional count.
    */
    CV_WRAP static Ptr<TrainingStatistics> fromMatrices(InputArray gram, InputArray classSums, InputArray classCounts,
                                                        bool normalizeFeatures = false);

    /** @brief Loads statistics written by save().
    The header (dimensions) is checked against the file size before anything is allocated, then a
    checksum over the whole content, then the values as in fromMatrices().
    @throws cv::Exception naming the file when it is missing, not a regular file, foreign, truncated,
    corrupt or above the INPUT_LIMIT_DATA_BYTES limit.
    */
    CV_WRAP static Ptr<TrainingStatistics> load(const String& filename);

    /** @brief Adds samples.
    @param features N x D finite features (any float or integer depth; CV_32F avoids a conversion copy).
    @param labels N labels (CV_32S), each in [0, numClasses()).
    @throws cv::Exception on a dimension mismatch, an unknown label, NaN/Inf (naming row and column).
    Nothing is added when it throws.
    */
    CV_WRAP virtual void add(InputArray features, InputArray labels) = 0;

    /** @brief Adds the statistics of another shard (same dimensions, classes and normalisation).
    Elementwise sums: associative up to floating-point rounding; merge in a fixed order for
    bit-identical results. `other` may be this object (doubles it). */
    CV_WRAP virtual void merge(const Ptr<TrainingStatistics>& other) = 0;

    /** @brief The statistics restricted to some classes, in the given order (e.g. the classes that have
    samples, when shards were labelled against a larger class table).
    @throws cv::Exception when an index is out of range or repeated, or when a left-out class has
    samples (they are in the Gram matrix and cannot be taken out). */
    CV_WRAP virtual Ptr<TrainingStatistics> selectClasses(const std::vector<int>& classes) const = 0;

    /** @brief Trains a classifier from the statistics, as ZeroShotClassifier::train() on the samples.
    @param params method ESZSL or SAE and its hyper-parameters; normalizeFeatures must match create().
    @param seen prototypes of the C seen classes (row c: class c of the labels).
    @return a trained classifier without unseen classes (setUnseenClasses() adds them).
    @throws cv::Exception for another method, no samples, mismatched dimensions or normalisation. */
    CV_WRAP virtual Ptr<ZeroShotClassifier> train(const ZeroShotClassifier::Params& params, const ClassPrototypes& seen) const = 0;

    /** @brief Writes the statistics in a compact binary form (versioned header, doubles, checksum)
    atomically (temporary file + rename): a failed save never replaces a good file. */
    CV_WRAP virtual void save(const String& filename) const = 0;

    //! A deep copy.
    CV_WRAP virtual Ptr<TrainingStatistics> clone() const = 0;

    CV_WRAP virtual int featureDim() const = 0;        //!< D
    CV_WRAP virtual int numClasses() const = 0;        //!< C
    CV_WRAP virtual double numSamples() const = 0;     //!< samples added so far (all shards merged)
    CV_WRAP virtual bool normalizesFeatures() const = 0; //!< the normalizeFeatures of create()
    CV_WRAP virtual Mat getGram() const = 0;           //!< X^T X, D x D CV_64F (a copy)
    CV_WRAP virtual Mat getClassSums() const = 0;      //!< C x D CV_64F: row c sums the rows labelled c (a copy)
    CV_WRAP virtual Mat getClassCounts() const = 0;    //!< C x 1 CV_64F sample counts (a copy)
};

//! @}

}} // namespace cv::zsl

#endif
