// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "io/input_file.hpp"
#include "opencv2/zsl/gbu_dataset.hpp"
#include "opencv2/zsl/mat_file.hpp"

namespace cv {
namespace zsl {

namespace {

const char* const kLocNames[] = { "trainval_loc", "train_loc", "val_loc", "test_seen_loc", "test_unseen_loc" };

// A 1-based index vector (any numeric class, N x 1 or 1 x N) as 0-based ints.
std::vector<int> readIndices(const MatFile& mat, const String& file, const String& name)
{
    const Mat m = mat.matrix(name, CV_64F);
    if (!m.empty() && m.rows != 1 && m.cols != 1)
        CV_Error(Error::StsBadSize, cv::format("GbuSplits: '%s': '%s' is %d x %d, expected a vector", file.c_str(),
                                               name.c_str(), m.rows, m.cols));
    std::vector<int> out(m.total());
    for (size_t i = 0; i < out.size(); i++)
    {
        const double v = m.ptr<double>()[i];
        if (!(v >= 1 && v <= (double)INT_MAX) || v != std::floor(v))
            CV_Error(Error::StsOutOfRange, cv::format("GbuSplits: '%s': %s(%zu) = %g is not a 1-based index",
                                                      file.c_str(), name.c_str(), i + 1, v));
        out[i] = (int)v - 1;
    }
    return out;
}

Mat oneBasedColumn(const std::vector<int>& idx)
{
    Mat m((int)idx.size(), 1, CV_64F);
    for (size_t i = 0; i < idx.size(); i++)
        m.at<double>((int)i) = idx[i] + 1.0;
    return m;
}

} // namespace

// `rows` restricted to `allowed`, in the order of `rows`.
static std::vector<int> restrictedTo(const std::vector<int>& rows, const std::vector<int>& allowed)
{
    std::vector<int> sorted(allowed);
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> out;
    for (int r : rows)
        if (std::binary_search(sorted.begin(), sorted.end(), r))
            out.push_back(r);
    return out;
}

std::vector<int> GbuSplits::selectionTrain() const { return restrictedTo(train, trainval); }

std::vector<int> GbuSplits::selectionVal() const { return restrictedTo(val, trainval); }

GbuSplits GbuSplits::read(const String& filename, const String& variable)
{
    return detail::publicBoundary("GbuSplits::read", [&]() -> GbuSplits {
    GbuSplits s;
    s.prototypes = readPrototypesGBU(filename, variable);
    const MatFile mat(filename);
    std::vector<int>* targets[] = { &s.trainval, &s.train, &s.val, &s.testSeen, &s.testUnseen };
    for (int k = 0; k < 5; k++)
    {
        const bool optional = k == 1 || k == 2; // some derived files keep only the final splits
        if (!mat.has(kLocNames[k]))
        {
            if (optional)
                continue;
            CV_Error(Error::StsObjectNotFound, cv::format("GbuSplits: '%s' has no '%s'", filename.c_str(), kLocNames[k]));
        }
        *targets[k] = readIndices(mat, filename, kLocNames[k]);
    }
    return s;
    });
}

void GbuSplits::write(const String& filename, const String& variable) const
{
    prototypes.validate();
    MatFile mat;
    mat.setStrings("allclasses_names", prototypes.names);
    Mat att;
    prototypes.vectors.convertTo(att, CV_64F);
    mat.setMatrix(variable, att.t());
    const std::vector<int>* sources[] = { &trainval, &train, &val, &testSeen, &testUnseen };
    for (int k = 0; k < 5; k++)
    {
        for (int i : *sources[k])
            if (i < 0)
                CV_Error(Error::StsOutOfRange, cv::format("GbuSplits::write: negative index %d in %s", i, kLocNames[k]));
        mat.setMatrix(kLocNames[k], oneBasedColumn(*sources[k]));
    }
    mat.write(filename);
}

GbuDataset GbuDataset::load(const String& featuresFile, const String& splitsFile, const String& variable)
{
    return detail::publicBoundary("GbuDataset::load", [&]() -> GbuDataset {
    GbuDataset ds;
    ds.splits = GbuSplits::read(splitsFile, variable);
    const MatFile mat(featuresFile);
    for (const char* required : { "features", "labels" })
        if (!mat.has(required))
            CV_Error(Error::StsObjectNotFound, cv::format("GbuDataset: '%s' has no '%s'", featuresFile.c_str(), required));
    const Mat f = mat.matrix("features", CV_32F); // D x N: one column per image
    ds.features = f.t();
    const int n = ds.features.rows;
    if (!cv::checkRange(ds.features))
        CV_Error(Error::StsBadArg, cv::format("GbuDataset: '%s': features hold NaN or Inf", featuresFile.c_str()));

    const Mat l = mat.matrix("labels", CV_64F);
    if ((int)l.total() != n || (l.rows != 1 && l.cols != 1))
        CV_Error(Error::StsBadSize, cv::format("GbuDataset: '%s': %d x %d labels for %d images", featuresFile.c_str(),
                                               l.rows, l.cols, n));
    const int numClasses = ds.splits.prototypes.size();
    ds.labels.create(n, 1, CV_32S);
    for (int i = 0; i < n; i++)
    {
        const double v = l.ptr<double>()[i];
        if (!(v >= 1 && v <= numClasses) || v != std::floor(v))
            CV_Error(Error::StsOutOfRange, cv::format("GbuDataset: '%s': labels(%d) = %g is not a class id in [1, %d] of '%s'",
                                                      featuresFile.c_str(), i + 1, v, numClasses, splitsFile.c_str()));
        ds.labels.at<int>(i) = (int)v - 1;
    }
    if (mat.has("image_files"))
    {
        ds.imageFiles = mat.strings("image_files");
        if ((int)ds.imageFiles.size() != n)
            CV_Error(Error::StsBadSize, cv::format("GbuDataset: '%s': %zu image_files for %d images", featuresFile.c_str(),
                                                   ds.imageFiles.size(), n));
    }
    const std::vector<int>* sets[] = { &ds.splits.trainval, &ds.splits.train, &ds.splits.val, &ds.splits.testSeen,
                                       &ds.splits.testUnseen };
    for (int k = 0; k < 5; k++)
        for (int i : *sets[k])
            if (i >= n)
                CV_Error(Error::StsOutOfRange, cv::format("GbuDataset: %s of '%s' refers to image %d but '%s' has %d",
                                                          kLocNames[k], splitsFile.c_str(), i + 1, featuresFile.c_str(), n));
    return ds;
    });
}

void GbuDataset::select(const std::vector<int>& rows, OutputArray X_, OutputArray y_) const
{
    Mat X((int)rows.size(), features.cols, CV_32F), y((int)rows.size(), 1, CV_32S);
    for (size_t i = 0; i < rows.size(); i++)
    {
        const int r = rows[i];
        if (r < 0 || r >= features.rows)
            CV_Error(Error::StsOutOfRange, cv::format("GbuDataset::select: row %d out of range [0, %d)", r, features.rows));
        features.row(r).copyTo(X.row((int)i));
        y.at<int>((int)i) = labels.at<int>(r);
    }
    X_.assign(X);
    y_.assign(y);
}

std::vector<int> GbuDataset::classesOf(const std::vector<int>& rows) const
{
    std::vector<int> classes;
    for (int r : rows)
    {
        if (r < 0 || r >= labels.rows)
            CV_Error(Error::StsOutOfRange, cv::format("GbuDataset::classesOf: row %d out of range [0, %d)", r, labels.rows));
        classes.push_back(labels.at<int>(r));
    }
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    return classes;
}

std::vector<int> GbuDataset::seenClasses() const { return classesOf(splits.trainval); }

std::vector<int> GbuDataset::unseenClasses() const { return classesOf(splits.testUnseen); }

void writeGbuFeatures(const String& filename, InputArray features_, InputArray labels_,
                      const std::vector<String>& imageFiles)
{
    const Mat f = features_.getMat();
    if (f.empty() || f.channels() != 1 || f.dims != 2)
        CV_Error(Error::StsBadArg, "writeGbuFeatures: features must be a non-empty 2-D single-channel N x D matrix");
    Mat l;
    labels_.getMat().convertTo(l, CV_64F);
    if ((int)l.total() != f.rows || (l.rows != 1 && l.cols != 1))
        CV_Error(Error::StsBadSize, cv::format("writeGbuFeatures: %d labels for %d feature rows", (int)l.total(), f.rows));
    l = l.reshape(1, f.rows);
    for (int i = 0; i < l.rows; i++)
        if (!(l.at<double>(i) >= 0) || l.at<double>(i) != std::floor(l.at<double>(i)))
            CV_Error(Error::StsOutOfRange, cv::format("writeGbuFeatures: label %d is %g, expected a 0-based class id",
                                                      i, l.at<double>(i)));
    if (!imageFiles.empty() && (int)imageFiles.size() != f.rows)
        CV_Error(Error::StsBadSize, cv::format("writeGbuFeatures: %zu image files for %d feature rows",
                                               imageFiles.size(), f.rows));
    Mat fd;
    f.convertTo(fd, CV_64F);
    MatFile mat;
    mat.setMatrix("features", fd.t());
    mat.setMatrix("labels", l + 1.0);
    if (!imageFiles.empty())
        mat.setStrings("image_files", imageFiles);
    mat.write(filename);
}

}} // namespace cv::zsl
