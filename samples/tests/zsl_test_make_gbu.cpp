// This file is part of the opencv_zsl module (cv::zsl).
// Test helper of samples/tests/cli_flows.sh: writes a small GBU benchmark folder (res101.mat,
// att_splits.mat in the xlsa17 layout) from real features, so that the documented
// `zsl_benchmark --gbu=xlsa17/data/AWA2` command lines run on small real data.
//
//   zsl_test_make_gbu <features from zsl_extract> <attributes.csv> <out dir>
// Images under a folder "un/<class>/" are unseen test images; every other image is of a seen class
// named by its parent folder ('_' for '/'): its first 7 images per class go to trainval, the others to
// test_seen. train_loc/val_loc split the trainval classes (the last two seen classes validate).
#include "../fashion_mnist.hpp"
#include <opencv2/core.hpp>
#include <opencv2/zsl.hpp>
#include <opencv2/zsl/gbu_dataset.hpp>

#include <algorithm>
#include <iostream>
#include <map>

int main(int argc, char** argv)
{
    if (argc != 4)
    {
        std::cerr << "usage: zsl_test_make_gbu <features.yml|json> <attributes.csv> <out dir>\n";
        return 2;
    }
    try
    {
        cv::FileStorage fs(argv[1], cv::FileStorage::READ);
        if (!fs.isOpened())
            CV_Error(cv::Error::StsError, cv::format("cannot read '%s'", argv[1]));
        cv::Mat features;
        std::vector<cv::String> images;
        fs["features"] >> features;
        fs["images"] >> images;
        CV_Assert(!features.empty() && (int)images.size() == features.rows);

        cv::zsl::GbuSplits splits;
        splits.prototypes = zslsample::readAnyPrototypes(argv[2]);
        std::vector<int> labels(images.size());
        std::map<int, int> perClass;
        std::vector<int> seenOrder; // seen class ids in order of appearance
        std::vector<int> isSeen(images.size());
        for (size_t i = 0; i < images.size(); i++)
        {
            const std::string& p = images[i];
            const size_t b = p.find_last_of('/');
            CV_Assert(b != std::string::npos && b > 0);
            const size_t a = p.find_last_of('/', b - 1);
            std::string cls = p.substr(a == std::string::npos ? 0 : a + 1, b - (a == std::string::npos ? 0 : a + 1));
            std::replace(cls.begin(), cls.end(), '_', '/');
            const int id = splits.prototypes.indexOf(cls);
            if (id < 0)
                CV_Error(cv::Error::StsBadArg, cv::format("no prototype for class '%s' of '%s'", cls.c_str(), p.c_str()));
            labels[i] = id;
            isSeen[i] = p.compare(0, 3, "un/") != 0 && p.find("/un/") == std::string::npos;
            if (isSeen[i] && std::find(seenOrder.begin(), seenOrder.end(), id) == seenOrder.end())
                seenOrder.push_back(id);
        }
        CV_Assert(seenOrder.size() >= 4);
        const std::vector<int> valClasses(seenOrder.end() - 2, seenOrder.end());
        for (size_t i = 0; i < images.size(); i++)
        {
            const int r = (int)i;
            if (!isSeen[i])
            {
                splits.testUnseen.push_back(r);
                continue;
            }
            if (perClass[labels[i]]++ < 7)
            {
                splits.trainval.push_back(r);
                const bool val = std::find(valClasses.begin(), valClasses.end(), labels[i]) != valClasses.end();
                (val ? splits.val : splits.train).push_back(r);
            }
            else
                splits.testSeen.push_back(r);
        }
        const std::string out = argv[3];
        splits.write(out + "/att_splits.mat");
        cv::zsl::writeGbuFeatures(out + "/res101.mat", features, labels);
        std::cout << cv::format("wrote %s: %zu trainval, %zu test_seen, %zu test_unseen images\n", out.c_str(),
                                splits.trainval.size(), splits.testSeen.size(), splits.testUnseen.size());
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "zsl_test_make_gbu: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
