// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include <unordered_set>

namespace cv {
namespace zsl {

ClassPrototypes::ClassPrototypes() {}

ClassPrototypes::ClassPrototypes(const std::vector<String>& names_, InputArray vectors_)
{
    // Build and check a local set, then take it over: nothing may throw once the members own memory.
    // OpenCV's Python bindings construct this class in place and destroy it again when the constructor
    // throws, so members already released by the unwinding would be freed twice (a crash in Python).
    ClassPrototypes checked;
    checked.names = names_;
    Mat v = vectors_.getMat();
    if (v.channels() != 1 || v.dims > 2)
        CV_Error(Error::StsBadArg, "ClassPrototypes: vectors must be a 2-D single-channel matrix");
    // Doubles too large for float would silently become Inf: check before converting.
    if (v.depth() == CV_64F && !cv::checkRange(v, true, nullptr, -FLT_MAX, FLT_MAX))
        CV_Error(Error::StsBadArg, "ClassPrototypes: vectors contain NaN, Inf or values beyond float range");
    v.convertTo(checked.vectors, CV_32F);
    checked.validate();
    names.swap(checked.names);
    vectors = checked.vectors;
}

int ClassPrototypes::size() const { return (int)names.size(); }

int ClassPrototypes::dims() const { return vectors.empty() ? 0 : vectors.cols; }

int ClassPrototypes::indexOf(const String& name) const
{
    auto it = std::find(names.begin(), names.end(), name);
    return it == names.end() ? -1 : (int)(it - names.begin());
}

void ClassPrototypes::validate() const
{
    if (names.empty() && vectors.empty())
        CV_Error(Error::StsBadArg, "ClassPrototypes: the set is empty");
    if (vectors.type() != CV_32FC1)
        CV_Error(Error::StsBadArg, cv::format("ClassPrototypes: vectors must be CV_32FC1, got type %d", vectors.type()));
    if (vectors.rows != (int)names.size())
        CV_Error(Error::StsBadSize, cv::format("ClassPrototypes: %d names but %d prototype rows", (int)names.size(), vectors.rows));
    std::unordered_set<std::string> seen;
    for (size_t i = 0; i < names.size(); i++)
    {
        if (names[i].empty())
            CV_Error(Error::StsBadArg, cv::format("ClassPrototypes: class %zu has an empty name", i));
        if (!seen.insert(names[i]).second)
            CV_Error(Error::StsBadArg, cv::format("ClassPrototypes: duplicate class name '%s'", names[i].c_str()));
    }
    Point pos;
    if (!cv::checkRange(vectors, true, &pos))
        CV_Error(Error::StsBadArg, cv::format("ClassPrototypes: non-finite value in class '%s' (column %d)",
                                              names[pos.y].c_str(), pos.x));
}

ClassPrototypes ClassPrototypes::subset(const std::vector<int>& indices) const
{
    ClassPrototypes out;
    out.vectors.create((int)indices.size(), dims(), CV_32F);
    for (size_t i = 0; i < indices.size(); i++)
    {
        const int r = indices[i];
        if (r < 0 || r >= size())
            CV_Error(Error::StsOutOfRange, cv::format("ClassPrototypes::subset: index %d out of range [0, %d)", r, size()));
        out.names.push_back(names[r]);
        vectors.row(r).copyTo(out.vectors.row((int)i));
    }
    return out;
}

ClassPrototypes ClassPrototypes::select(const std::vector<String>& classNames) const
{
    std::vector<int> rows;
    std::string unknown;
    for (const String& n : classNames)
    {
        const int r = indexOf(n);
        if (r < 0)
            unknown += (unknown.empty() ? "" : ", ") + n;
        rows.push_back(r);
    }
    if (!unknown.empty())
        CV_Error(Error::StsBadArg, "ClassPrototypes::select: unknown classes: " + unknown);
    return subset(rows);
}

ClassPrototypes ClassPrototypes::normalized(int normalization) const
{
    ClassPrototypes out;
    out.names = names;
    out.vectors = vectors.clone();
    switch (normalization)
    {
    case PROTOTYPE_NORM_NONE:
        break;
    case PROTOTYPE_NORM_L2:
    {
        Mat norms;
        cv::reduce(out.vectors.mul(out.vectors), norms, 1, REDUCE_SUM);
        cv::sqrt(norms, norms);
        norms.setTo(1, norms == 0); // zero prototypes stay zero
        out.vectors /= cv::repeat(norms, 1, out.vectors.cols);
        break;
    }
    case PROTOTYPE_NORM_ZSCORE:
    {
        if (out.vectors.rows < 2)
            CV_Error(Error::StsBadArg, "ClassPrototypes: z-score normalisation needs at least 2 classes");
        Mat mean, sq;
        cv::reduce(out.vectors, mean, 0, REDUCE_AVG);
        out.vectors -= cv::repeat(mean, out.vectors.rows, 1);
        cv::reduce(out.vectors.mul(out.vectors), sq, 0, REDUCE_AVG);
        cv::sqrt(sq, sq);
        // Constant attributes carry no information: leave them at zero rather than dividing by 0.
        sq.setTo(1, sq == 0);
        out.vectors /= cv::repeat(sq, out.vectors.rows, 1);
        break;
    }
    default:
        CV_Error(Error::StsOutOfRange, cv::format("ClassPrototypes: unknown normalisation %d", normalization));
    }
    return out;
}

}} // namespace cv::zsl
