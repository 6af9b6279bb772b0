// This file is part of the opencv_zsl samples.
// Command-line helper shared by the samples.
#ifndef OPENCV_ZSL_SAMPLE_CLI_HPP
#define OPENCV_ZSL_SAMPLE_CLI_HPP

#include <opencv2/core.hpp>
#include <vector>

namespace zsl_samples {

/** Every argument without a leading '-', in order: cv::CommandLineParser knows one positional key,
    while the samples take any number of inputs (options are written --key=value). */
inline std::vector<cv::String> positionalArguments(int argc, char** argv)
{
    std::vector<cv::String> positional;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-')
            positional.push_back(argv[i]);
    return positional;
}

} // namespace zsl_samples

#endif
