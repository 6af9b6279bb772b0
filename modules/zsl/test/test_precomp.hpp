// This file is part of the opencv_zsl module (cv::zsl).
// The same test sources build against opencv_ts (in-tree) or plain GoogleTest (standalone).
#ifndef OPENCV_ZSL_TEST_PRECOMP_HPP
#define OPENCV_ZSL_TEST_PRECOMP_HPP

#ifdef ZSL_STANDALONE
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
namespace opencv_test {
using namespace cv;
}
#else
#include "opencv2/ts.hpp"
#endif

#include "opencv2/zsl.hpp"
#include "test_common.hpp"

#endif
