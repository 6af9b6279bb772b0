// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_INPUT_LIMITS_HPP
#define OPENCV_ZSL_INPUT_LIMITS_HPP

#include <opencv2/core.hpp>

namespace cv {
namespace zsl {

/** @brief Bounds on what a file read by this module may hold (see doc/reliability.md, "Hostile inputs").

Every reader (ZeroShotClassifier::load, readPrototypesText/JSON/GBU, WordVectors::load, GalleryIndex::load,
MatFile, GbuSplits/GbuDataset, VisualEncoder backbone files) opens only regular files (a FIFO, a device such
as /dev/zero, a directory or a socket is refused at once, without blocking) and refuses files above a byte
limit before reading them. A model stored gzip-compressed (.gz) is inflated by this module with the limit
applied to the inflated size, without holding two copies. Errors are cv::Exception naming the file, the
limit and the environment variable that changes it.

Limits (bytes; the environment variable is read at every open and accepts a number with an optional
K, M, G or T binary suffix, e.g. "512M"; setInputLimit() overrides it for the process):
- INPUT_LIMIT_MODEL_BYTES, `OPENCV_ZSL_MAX_MODEL_BYTES`, default 1 GiB: a FileStorage model file
  (ZeroShotClassifier), after gunzip.
- INPUT_LIMIT_TEXT_BYTES, `OPENCV_ZSL_MAX_TEXT_BYTES`, default 256 MiB: text files read whole (prototype
  matrices, class-name lists, JSON prototypes).
- INPUT_LIMIT_DATA_BYTES, `OPENCV_ZSL_MAX_DATA_BYTES`, default 16 GiB: large data files (MAT files,
  word vectors, gallery indexes, backbone weights).
*/
enum InputLimit
{
    INPUT_LIMIT_MODEL_BYTES = 0,
    INPUT_LIMIT_TEXT_BYTES = 1,
    INPUT_LIMIT_DATA_BYTES = 2
};

/** @brief The byte limit now in force for an InputLimit (override, else environment, else default). */
CV_EXPORTS_W double getInputLimit(int limit);
/** @brief Overrides an InputLimit for this process (bytes > 0); 0 returns to the environment/default. */
CV_EXPORTS_W void setInputLimit(int limit, double bytes);

/** @brief Bounds on the fields of a model file (ZeroShotClassifier::load) and on Params / EncoderPreprocessing.
A field outside its bound is refused with a cv::Exception naming the field and the bound. */
namespace bounds {
const int kMaxEpochs = 1000000;           //!< Params::epochs, patience in [1, kMaxEpochs]
const int kMaxBatchSize = 1 << 20;        //!< Params::batchSize and the encoder batch size in [1, kMaxBatchSize]
const double kMaxLearningRate = 1e30;     //!< Params::learningRate in (0, kMaxLearningRate] (finite; divergence is detected in training)
const double kMaxRegulariser = 1e12;      //!< eszslGamma, eszslLambda, saeLambda, weightDecay, |margin| at most this
const int kMaxHiddenLayers = 16;          //!< Params::hiddenSizes has at most this many entries
const int kMaxHiddenSize = 65536;         //!< each hidden width, latentDim in [1, kMaxHiddenSize]
const int kMaxConseTopT = 1 << 20;        //!< Params::conseTopT in [1, kMaxConseTopT]
const int kMaxSyntheticPerClass = 1000000;//!< Params::syntheticPerClass in [1, kMaxSyntheticPerClass]
const int kMaxClasses = 1 << 24;          //!< seen / unseen classes of a model file
const int kMaxDims = 1 << 16;             //!< prototype and feature dimensions of a model file
const int kMaxEncoderInputSide = 2048;    //!< EncoderPreprocessing::inputSize width and height in [1, kMaxEncoderInputSide]
const int kMaxEncoderResize = 4096;       //!< EncoderPreprocessing::resizeShorter at most this
const double kMaxEncoderScale = 1e4;      //!< |scale| in [1/kMaxEncoderScale, kMaxEncoderScale]
const double kMaxEncoderMeanStd = 1e4;    //!< |mean| at most this; |std| in [1/kMaxEncoderMeanStd, kMaxEncoderMeanStd]
} // namespace bounds

}} // namespace cv::zsl

#endif
