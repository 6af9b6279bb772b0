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
#include <sstream>
// opencv_ts bundles GoogleTest 1.8: no GTEST_SKIP() and no *_TEST_SUITE_* names. Skip the OpenCV
// way instead, by throwing cvtest::SkipTestException (ts's TEST/TEST_F/TEST_P print "[     SKIP ]").
#ifndef GTEST_SKIP
namespace opencv_test { namespace zsltest {
struct SkipMessage
{
    std::ostringstream message;
    std::ostream& stream() { return message; }
    [[noreturn]] void raise() const { throw cvtest::SkipTestException(message.str()); }
};
}} // namespace opencv_test::zsltest
// `GTEST_SKIP() << "why";` runs the loop body (the streaming) once, then raise() throws.
#define GTEST_SKIP() for (::opencv_test::zsltest::SkipMessage zsl_skip_; ; zsl_skip_.raise()) zsl_skip_.stream()
#endif
#ifndef INSTANTIATE_TEST_SUITE_P
#define INSTANTIATE_TEST_SUITE_P INSTANTIATE_TEST_CASE_P
#endif
#endif

#include "opencv2/zsl.hpp"
#include "test_common.hpp"

#endif
