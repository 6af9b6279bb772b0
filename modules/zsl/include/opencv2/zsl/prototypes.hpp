// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_PROTOTYPES_HPP
#define OPENCV_ZSL_PROTOTYPES_HPP

#include <opencv2/core.hpp>

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief How prototype vectors are normalised before use. */
enum PrototypeNormalization
{
    PROTOTYPE_NORM_NONE = 0,   //!< keep the vectors as given
    PROTOTYPE_NORM_L2 = 1,     //!< scale each class vector to unit L2 norm
    PROTOTYPE_NORM_ZSCORE = 2  //!< per attribute (column): subtract the mean over classes, divide by the standard deviation
};

/** @brief Semantic class descriptions: one name and one prototype vector per class.

A prototype is an attribute vector (AwA's 85 predicates, say) or a word vector. Row i of
`vectors` describes class `names[i]`. All loaders return this type and the classifier takes it.
*/
class CV_EXPORTS_W_SIMPLE ClassPrototypes
{
public:
    //! Empty set.
    CV_WRAP ClassPrototypes();
    /** @brief Builds and validates a set.
    @param names one unique, non-empty name per class.
    @param vectors C x A matrix, one row per class, any float/double/integer depth (stored as CV_32F).
    @throws cv::Exception on a size mismatch, duplicate or empty names, NaN/Inf values.
    */
    CV_WRAP ClassPrototypes(const std::vector<String>& names, InputArray vectors);

    CV_PROP_RW std::vector<String> names; //!< class names, in row order
    CV_PROP_RW Mat vectors;               //!< C x A, CV_32F, one prototype per row

    //! Number of classes.
    CV_WRAP int size() const;
    //! Prototype dimension A (0 when empty).
    CV_WRAP int dims() const;
    //! Row of the class called `name`, or -1.
    CV_WRAP int indexOf(const String& name) const;
    //! Classes at the given rows, in that order. @throws cv::Exception on an index out of range.
    CV_WRAP ClassPrototypes subset(const std::vector<int>& indices) const;
    //! Classes with the given names, in that order. @throws cv::Exception naming every unknown class.
    CV_WRAP ClassPrototypes select(const std::vector<String>& classNames) const;
    //! Copy with the vectors normalised (see PrototypeNormalization).
    CV_WRAP ClassPrototypes normalized(int normalization) const;
    //! Checks the invariants (sizes, unique names, finite CV_32F values); throws cv::Exception otherwise.
    CV_WRAP void validate() const;
};

/** @brief Reads prototypes from a text matrix (AwA `predicate-matrix-continuous.txt` style).

Values are separated by whitespace or commas, one class per line. Names come from `namesFile`
(one per line; AwA's `classes.txt` "1\tantelope" form is accepted), or, when it is empty, from the
first column of each line. `+` and `_` in names are kept as written. Blank lines and lines starting
with `#` are skipped, as is a CSV header line (one without any number among its values); a CSV field
may be "quoted". Numbers are parsed independently of the C locale.
@throws cv::Exception with file and line on ragged rows, non-numeric values, a missing file.
*/
CV_EXPORTS_W ClassPrototypes readPrototypesText(const String& matrixFile, const String& namesFile = String());

/** @brief Reads prototypes from JSON: `{"classes":[{"name":"zebra","vector":[...]}, ...]}`.
@throws cv::Exception (with the JSON position) on malformed JSON or a wrong structure.
*/
CV_EXPORTS_W ClassPrototypes readPrototypesJSON(const String& filename);

//! Writes prototypes in the JSON form read by readPrototypesJSON (atomically: temporary file + rename).
CV_EXPORTS_W void writePrototypesJSON(const String& filename, const ClassPrototypes& prototypes);

/** @brief Reads class prototypes from a GBU `att_splits.mat` file (Xian et al., TPAMI 2018).
@param filename path of `att_splits.mat` (or `sent_splits.mat`).
@param variable `att` (L2-normalised, the default), `original_att` (raw 0..100 strengths).
Columns of the MAT matrix become rows; names come from `allclasses_names` (or "class_<i>" when the
file has none, as FLO).
*/
CV_EXPORTS_W ClassPrototypes readPrototypesGBU(const String& filename, const String& variable = "att");

//! @}

}} // namespace cv::zsl

#endif
