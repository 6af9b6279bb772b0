// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_GBU_DATASET_HPP
#define OPENCV_ZSL_GBU_DATASET_HPP

#include <opencv2/core.hpp>
#include "opencv2/zsl/prototypes.hpp"

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief The class prototypes and image splits of a GBU benchmark dataset (`att_splits.mat`).

The "proposed splits" of Xian et al., *Zero-Shot Learning — A Comprehensive Evaluation of the Good,
the Bad and the Ugly* (TPAMI 2018) are the standard benchmark of the field (AWA1, AWA2, CUB, SUN,
FLO). The file stores 1-based image indices (`trainval_loc`, ...); here they are 0-based rows of the
features of the matching `res101.mat` (see GbuDataset).
*/
struct CV_EXPORTS GbuSplits
{
    ClassPrototypes prototypes;   //!< all classes; row c is class id c (0-based), names from `allclasses_names`
    std::vector<int> trainval;    //!< images to train on for the final evaluation (seen classes)
    std::vector<int> train;       //!< training part of the validation split (may be empty)
    std::vector<int> val;         //!< validation images (classes disjoint from `train`; may be empty)
    std::vector<int> testSeen;    //!< test images of seen classes (generalised ZSL)
    std::vector<int> testUnseen;  //!< test images of unseen classes

    /** @brief The rows of `train` that model selection may use: `train` restricted to `trainval`.
    In every released GBU file `train_loc` and `val_loc` (the older split) together contain all
    `test_seen_loc` images, so tuning on them as given tunes on test images. Selection and calibration
    must read only `trainval` rows: these (and selectionVal()) keep the train/val *class* split restricted
    to `trainval`, in file order.
    */
    std::vector<int> selectionTrain() const;
    //! The rows of `val` that model selection may use: `val` restricted to `trainval` (see selectionTrain()).
    std::vector<int> selectionVal() const;

    /** @brief Reads `att_splits.mat` (or `sent_splits.mat`).
    @param filename the MAT-file.
    @param variable prototype variable: `att` (default) or `original_att`; see readPrototypesGBU().
    @throws cv::Exception on a missing variable or an index that is not a positive integer.
    */
    static GbuSplits read(const String& filename, const String& variable = "att");

    /** @brief Writes the splits in the same format (1-based `*_loc`, prototypes as columns of `variable`,
    `allclasses_names`), e.g. to build a synthetic benchmark.
    */
    void write(const String& filename, const String& variable = "att") const;
};

/** @brief A GBU dataset: splits plus the per-image features of `res101.mat`.

`res101.mat` holds `features` (D x N double, ResNet-101 pool5, D = 2048), `labels` (N x 1, 1-based
class ids, i.e. columns of `att`) and `image_files` (N x 1 cell). They are returned as N x D CV_32F
features and 0-based CV_32S labels, which index `splits.prototypes`.

@code
    GbuDataset ds = GbuDataset::load("AWA2/res101.mat", "AWA2/att_splits.mat");
    Mat X, y;
    ds.select(ds.splits.trainval, X, y);                      // training features and labels
    ClassPrototypes seen = ds.splits.prototypes.subset(ds.seenClasses());
@endcode
*/
class CV_EXPORTS GbuDataset
{
public:
    GbuSplits splits;                //!< prototypes and index splits
    Mat features;                    //!< N x D, CV_32F, one image per row
    Mat labels;                      //!< N x 1, CV_32S, 0-based class ids (rows of splits.prototypes)
    std::vector<String> imageFiles;  //!< N image paths as stored (empty when the file has none)

    /** @brief Reads a features file and a splits file and checks that they agree.
    @param featuresFile `res101.mat` (or a file written by writeGbuFeatures()).
    @param splitsFile `att_splits.mat` / `sent_splits.mat`.
    @param variable prototype variable of the splits file (`att` or `original_att`).
    @throws cv::Exception when a label is not a class of the splits file or an index is beyond N.
    */
    static GbuDataset load(const String& featuresFile, const String& splitsFile, const String& variable = "att");

    /** @brief Features and labels of the given rows (e.g. `splits.testUnseen`).
    @param rows 0-based image indices.
    @param X |rows| x D CV_32F.
    @param y |rows| x 1 CV_32S 0-based class ids.
    */
    void select(const std::vector<int>& rows, OutputArray X, OutputArray y) const;

    //! Sorted class ids of the `trainval` images (the seen classes).
    std::vector<int> seenClasses() const;
    //! Sorted class ids of the `testUnseen` images (the unseen classes).
    std::vector<int> unseenClasses() const;
    //! Sorted class ids occurring among the given images.
    std::vector<int> classesOf(const std::vector<int>& rows) const;
};

/** @brief Writes features in the `res101.mat` format (`features` D x N double, `labels` N x 1 1-based,
`image_files` N x 1 cell when given), atomically.
@param filename output MAT-file.
@param features N x D, any numeric depth, one image per row.
@param labels N 0-based class ids (stored + 1, as the GBU files do).
@param imageFiles N image paths, or empty.
*/
CV_EXPORTS void writeGbuFeatures(const String& filename, InputArray features, InputArray labels,
                                 const std::vector<String>& imageFiles = std::vector<String>());

//! @}

}} // namespace cv::zsl

#endif
