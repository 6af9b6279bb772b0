// This file is part of the opencv_zsl module (cv::zsl).
// Exports the class-level contents of a GBU att_splits.mat as small text files (the files under
// data/awa2/ are made with it), so that prototypes can be used without the MAT-file.
//
//   zsl_gbu_export --splits=AWA2/att_splits.mat --out=data/awa2 \
//                  --unseen=sheep,dolphin,bat,seal,blue+whale,rat,horse,walrus,giraffe,bobcat
#include "sample_cli.hpp"
#include <opencv2/zsl/atomic_file.hpp>
#include <opencv2/core.hpp>
#include <opencv2/zsl.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

static std::string shortestDouble(double x)
{
    for (int prec = 15; prec <= 17; prec++)
    {
        const std::string s = cv::format("%.*g", prec, x);
        if (std::strtod(s.c_str(), nullptr) == x)
            return s;
    }
    return cv::format("%.17g", x);
}

static void writeText(const std::string& path, const std::string& text)
{
    cv::zsl::writeFileAtomically(path, text); // a crash never leaves a truncated file
    std::cout << "wrote " << path << "\n";
}

// One class per line, one attribute per column (AwA predicate-matrix-continuous.txt layout).
static void writeMatrix(const cv::zsl::MatFile& mat, const std::string& variable, const std::string& path)
{
    const cv::Mat m = mat.matrix(variable, CV_64F); // attributes x classes
    std::ostringstream out;
    for (int c = 0; c < m.cols; c++)
    {
        for (int a = 0; a < m.rows; a++)
            out << (a ? " " : "") << shortestDouble(m.at<double>(a, c));
        out << "\n";
    }
    writeText(path, out.str());
}

int main(int argc, char** argv)
{
    const cv::String keys =
        "{help h   |     | print this help }"
        "{splits   |     | att_splits.mat of a GBU dataset }"
        "{out      | .   | output directory (must exist) }"
        "{unseen   |     | comma-separated unseen (test) class names; writes testclasses.txt and trainvalclasses.txt }";
    zsl_samples::Cli cli(argc, argv, keys, "Exports class names and prototype matrices of a GBU att_splits.mat as text");
    const cv::CommandLineParser& parser = cli.parser;
    if (parser.has("help") || !parser.has("splits"))
    {
        parser.printMessage();
        return parser.has("help") ? 0 : 1;
    }
    const std::string splits = parser.get<std::string>("splits"), out = parser.get<std::string>("out");
    try
    {
        const cv::zsl::MatFile mat(splits);
        std::vector<std::string> names;
        if (mat.has("allclasses_names"))
            names = mat.strings("allclasses_names");
        else
            for (int c = 0; c < mat.matrix("att").cols; c++)
                names.push_back(cv::format("class_%d", c + 1));
        std::ostringstream classes;
        for (size_t i = 0; i < names.size(); i++)
            classes << i + 1 << "\t" << names[i] << "\n";
        writeText(out + "/classes.txt", classes.str());
        for (const char* v : { "att", "original_att" })
            if (mat.has(v))
                writeMatrix(mat, v, out + "/" + v + ".txt");

        if (parser.has("unseen"))
        {
            std::vector<std::string> unseen;
            std::stringstream ss(parser.get<std::string>("unseen"));
            for (std::string n; std::getline(ss, n, ',');)
            {
                if (std::find(names.begin(), names.end(), n) == names.end())
                    CV_Error(cv::Error::StsBadArg, "unseen class '" + n + "' is not a class of " + splits);
                unseen.push_back(n);
            }
            std::ostringstream test, trainval;
            for (const std::string& n : names) // keep the file's class order in both lists
                (std::find(unseen.begin(), unseen.end(), n) != unseen.end() ? test : trainval) << n << "\n";
            writeText(out + "/testclasses.txt", test.str());
            writeText(out + "/trainvalclasses.txt", trainval.str());
        }
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "zsl_gbu_export: " << e.what() << std::endl;
        return 2;
    }
    return 0;
}
