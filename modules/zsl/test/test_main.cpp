// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"
#include <cstdlib>

#ifdef ZSL_STANDALONE
int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    // ZSL_TEST_THREADS=1 runs every cv::parallel_for_ body in its calling thread: ThreadSanitizer
    // then sees all synchronisation (OpenCV's TBB workers are not instrumented, so hand-offs to
    // them are reported as races; see doc/reliability.md).
    if (const char* threads = std::getenv("ZSL_TEST_THREADS"))
        cv::setNumThreads(std::atoi(threads));
    return RUN_ALL_TESTS();
}
#else
CV_TEST_MAIN("zsl")
#endif
