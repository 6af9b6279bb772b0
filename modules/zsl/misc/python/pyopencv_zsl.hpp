// This file is part of the opencv_zsl module (cv::zsl).
// Included by the generated Python bindings: the generator names nested types Outer_Inner.
#ifdef HAVE_OPENCV_ZSL
typedef cv::zsl::ZeroShotClassifier::Params ZeroShotClassifier_Params;
typedef std::vector<cv::zsl::ZeroShotClassifier::Params> vector_ZeroShotClassifier_Params;
#endif
