// This file is part of the opencv_zsl module (cv::zsl).
#include "test_precomp.hpp"

#ifdef ZSL_STANDALONE
int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
#else
CV_TEST_MAIN("zsl")
#endif
