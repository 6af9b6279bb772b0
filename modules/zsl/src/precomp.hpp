// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_PRECOMP_HPP
#define OPENCV_ZSL_PRECOMP_HPP

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include "opencv2/zsl.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#endif
