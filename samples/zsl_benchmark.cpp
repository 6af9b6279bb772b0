// This file is part of the opencv_zsl module (cv::zsl).
// The field's benchmark: the GBU protocol (Xian et al., "Zero-Shot Learning - A Comprehensive
// Evaluation of the Good, the Bad and the Ugly", TPAMI 2018) on the release files res101.mat +
// att_splits.mat, for every compatibility method of this build.
//
//  1. Model selection on the validation split, on `trainval_loc` images only: `train_loc` and `val_loc`
//     together contain every `test_seen_loc` image in the released files, so both are restricted to
//     `trainval_loc` (GbuSplits::selectionTrain/selectionVal). Train on the train part, pick the
//     hyper-parameters with the best per-class top-1 on the val part among the validation classes (ZSL).
//  2. GZSL calibration (Chao et al. 2016), also without test data: every 5th selection-train image is held
//     out as seen-class validation (and not trained on); the constant maximising H over those images +
//     the val part (all train + val classes as candidates) is kept (cv::zsl::selectCalibrationFromScores).
//  No test_seen_loc / test_unseen_loc row is read before step 3.
//  3. Final model on `trainval_loc` with the chosen hyper-parameters; ZSL per-class top-1 on
//     `test_unseen_loc` among unseen classes; GZSL seen / unseen / H on `test_seen_loc` + `test_unseen_loc`
//     among all classes, uncalibrated and calibrated.
//
//   ./build/zsl_benchmark --gbu=/data/xlsa17/data/AWA2
//   ./build/zsl_benchmark --features=AWA2/res101.mat --splits=AWA2/att_splits.mat --methods=ESZSL,SAE --json=out.json
#include "sample_cli.hpp"
#include <opencv2/core.hpp>
#include <opencv2/zsl.hpp>
#include <opencv2/zsl/gbu_dataset.hpp>
#include <opencv2/zsl/model_selection.hpp>
#include <algorithm>
#include <cfloat>
#include <chrono>
#include <iostream>
#include <sstream>

using namespace cv;
using namespace cv::zsl;

namespace {

struct Result
{
    String method, params;
    double valZsl = 0, zsl = 0, gamma = 0, seconds = 0;
    GzslAccuracy raw, calibrated;
    int extensions = 0, candidates = 0; //!< grid extension rounds and candidates scored in model selection
};

std::vector<String> splitList(const String& s)
{
    std::vector<String> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty())
            out.push_back(item);
    return out;
}

// Initial hyper-parameter grids (log-spaced, as in the GBU paper's cross-validation); every numeric axis
// extends itself while the best value sits on its edge (cv::zsl::HyperParamGrid, bounded, logged).
void grid(int method, bool quick, ZeroShotClassifier::Params& base, HyperParamGrid& g)
{
    base = ZeroShotClassifier::Params();
    base.method = method;
    g = HyperParamGrid();
    if (method == ZeroShotClassifier::ESZSL)
    {
        g.eszslGamma = quick ? std::vector<double>{0.1, 1, 10} : std::vector<double>{0.01, 0.1, 1, 10, 100, 1000};
        g.eszslLambda = g.eszslGamma;
    }
    else if (method == ZeroShotClassifier::SAE)
    {
        base.normalizeFeatures = true;
        g.saeLambda = quick ? std::vector<double>{0.2, 5} : std::vector<double>{0.05, 0.2, 1, 5, 25, 125};
        g.saeDirection = {ZeroShotClassifier::SAE_SEMANTIC_SPACE, ZeroShotClassifier::SAE_VISUAL_SPACE};
    }
    else
    {
        base.epochs = quick ? 10 : 30;
        g.epochs = quick ? std::vector<int>{base.epochs} : std::vector<int>{15, 30};
        g.learningRate = quick ? std::vector<double>{1e-3} : std::vector<double>{5e-4, 2e-3};
        if (!quick && (method == ZeroShotClassifier::MLP || method == ZeroShotClassifier::GENERATIVE || method == ZeroShotClassifier::CADA_VAE))
            g.hiddenSize = {512, 2048};
        g.maxExtensions = 3;
    }
}

String describe(const ZeroShotClassifier::Params& p)
{
    if (p.method == ZeroShotClassifier::ESZSL)
        return format("gamma=%g lambda=%g", p.eszslGamma, p.eszslLambda);
    if (p.method == ZeroShotClassifier::SAE)
        return format("lambda=%g %s", p.saeLambda, p.saeDirection ? "visual" : "semantic");
    String h;
    for (size_t i = 0; i < p.hiddenSizes.size(); i++)
        h += format(i ? "x%d" : "%d", p.hiddenSizes[i]);
    return format("epochs=%d lr=%g hidden=%s", p.epochs, p.learningRate, h.c_str());
}

// Class ids -> positions in `order` (all labels must be in it).
Mat remap(const Mat& y, const std::vector<int>& order)
{
    Mat out(y.rows, 1, CV_32S);
    for (int i = 0; i < y.rows; i++)
    {
        auto it = std::find(order.begin(), order.end(), y.at<int>(i));
        CV_Assert(it != order.end());
        out.at<int>(i) = (int)(it - order.begin());
    }
    return out;
}

// Predictions from raw scores (seen columns first) with `gamma` subtracted from the seen columns.
Mat argmaxCalibrated(const Mat& scores, int numSeen, double gamma)
{
    Mat pred(scores.rows, 1, CV_32S);
    for (int i = 0; i < scores.rows; i++)
    {
        const float* s = scores.ptr<float>(i);
        int best = 0;
        float bestV = -FLT_MAX;
        for (int c = 0; c < scores.cols; c++)
        {
            const float v = c < numSeen ? (float)(s[c] - gamma) : s[c];
            if (v > bestV)
            {
                bestV = v;
                best = c;
            }
        }
        pred.at<int>(i) = best;
    }
    return pred;
}

GzslAccuracy gzsl(const Mat& scores, const Mat& truth, int numSeen, double gamma)
{
    std::vector<uchar> mask(scores.cols, 0);
    std::fill(mask.begin(), mask.begin() + numSeen, 1);
    return evaluateGzsl(argmaxCalibrated(scores, numSeen, gamma), truth, mask);
}

Result runMethod(int method, const GbuDataset& ds, bool quick)
{
    const auto t0 = std::chrono::steady_clock::now();
    Result r;
    r.method = methodName(method);
    const ClassPrototypes& P = ds.splits.prototypes;

    // 1. Hyper-parameters on train -> val (validation classes are disjoint from training classes).
    // Only trainval rows: the file's train/val lists also hold the test_seen images.
    const std::vector<int> selectionTrain = ds.splits.selectionTrain(), valRows = ds.splits.selectionVal();
    std::vector<int> trainRows, heldRows;
    for (size_t i = 0; i < selectionTrain.size(); i++)
        (i % 5 == 4 ? heldRows : trainRows).push_back(selectionTrain[i]);
    if (valRows.empty() || trainRows.empty())
        CV_Error(Error::StsBadArg, "zsl_benchmark: the splits file has no train/val split within trainval_loc for model selection");
    const std::vector<int> trC = ds.classesOf(trainRows), vaC = ds.classesOf(valRows);
    Mat Xtr, ytr, Xva, yva, Xheld, yheld;
    ds.select(trainRows, Xtr, ytr);
    ds.select(valRows, Xva, yva);
    ds.select(heldRows, Xheld, yheld);
    std::vector<int> valOrder = trC;
    valOrder.insert(valOrder.end(), vaC.begin(), vaC.end());
    // The validation classes are seen classes here: labels index trC followed by vaC.
    Mat Xsel, ysel;
    vconcat(Xtr, Xva, Xsel);
    vconcat(remap(ytr, valOrder), remap(yva, valOrder), ysel);
    std::vector<int> trIdx(Xtr.rows), vaIdx(Xva.rows);
    for (int i = 0; i < Xtr.rows; i++)
        trIdx[i] = i;
    for (int i = 0; i < Xva.rows; i++)
        vaIdx[i] = Xtr.rows + i;
    ZeroShotClassifier::Params base;
    HyperParamGrid g;
    grid(method, quick, base, g);
    ModelSelectionResult sel = selectHyperParamsOnGrid(Xsel, ysel, P.subset(valOrder), g, base, trIdx, vaIdx);
    const ZeroShotClassifier::Params best = sel.best;
    r.valZsl = sel.scores[sel.bestIndex];
    r.params = describe(best);
    r.extensions = sel.extensions;
    r.candidates = (int)sel.candidates.size();

    // 2. Calibration on held-out train images (seen) + val images (pseudo-unseen), same trained model family.
    {
        Ptr<ZeroShotClassifier> m = ZeroShotClassifier::create(best);
        m->train(Xtr, remap(ytr, trC), P.subset(trC));
        m->setUnseenClasses(P.subset(vaC));
        Mat X, y, scores;
        vconcat(Xheld, Xva, X);
        vconcat(yheld, yva, y);
        m->computeScores(X, scores);
        GzslAccuracy acc;
        r.gamma = selectCalibrationFromScores(scores, remap(y, valOrder), (int)trC.size(), acc);
    }

    // 3. Final: trainval -> test.
    const std::vector<int> seenC = ds.seenClasses(), unseenC = ds.unseenClasses();
    std::vector<int> order = seenC;
    order.insert(order.end(), unseenC.begin(), unseenC.end());
    Mat Xtv, ytv, Xs, ys, Xu, yu;
    ds.select(ds.splits.trainval, Xtv, ytv);
    ds.select(ds.splits.testSeen, Xs, ys);
    ds.select(ds.splits.testUnseen, Xu, yu);
    Ptr<ZeroShotClassifier> m = ZeroShotClassifier::create(best);
    m->train(Xtv, remap(ytv, seenC), P.subset(seenC));
    m->setUnseenClasses(P.subset(unseenC));
    m->setMode(ZeroShotClassifier::MODE_ZSL);
    Mat pred, sc;
    m->predict(Xu, pred, sc, 1);
    r.zsl = perClassAccuracy(pred, remap(yu, order));
    Mat X, y, scores;
    vconcat(Xs, Xu, X);
    vconcat(ys, yu, y);
    m->computeScores(X, scores);
    const Mat truth = remap(y, order);
    r.raw = gzsl(scores, truth, (int)seenC.size(), 0.0);
    r.calibrated = gzsl(scores, truth, (int)seenC.size(), r.gamma);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

} // namespace

int main(int argc, char** argv)
{
    const String keys =
        "{help h usage ? |      | print this help }"
        "{gbu            |      | dataset folder(s) holding res101.mat and att_splits.mat, comma-separated (e.g. xlsa17/data/AWA2,xlsa17/data/CUB) }"
        "{features       |      | res101.mat (overrides --gbu) }"
        "{splits         |      | att_splits.mat (overrides --gbu) }"
        "{variable       | att  | prototype variable: att or original_att }"
        "{methods        | all  | comma-separated methods, or all (methods missing from this build are listed and skipped) }"
        "{quick          |      | small hyper-parameter grids }"
        "{json           |      | write the results to this JSON file }";
    zsl_samples::Cli cli(argc, argv, keys, "GBU zero-shot benchmark (Xian et al. 2018) for every cv::zsl method");
    const cv::CommandLineParser& parser = cli.parser;
    if (parser.has("help"))
    {
        parser.printMessage();
        return 0;
    }
    if (!parser.check())
    {
        parser.printErrors();
        return 1;
    }
    try
    {
        if (!parser.has("gbu") && (!parser.has("features") || !parser.has("splits")))
            CV_Error(Error::StsBadArg, "give --gbu=<dir>[,<dir>...] or both --features and --splits");
        // One or more datasets: --features/--splits name one; --gbu a comma-separated list of folders.
        struct Source { String name, features, splits; };
        std::vector<Source> sources;
        auto baseName = [](const String& path) {
            String p = path;
            while (p.size() > 1 && p.back() == '/')
                p.pop_back();
            const size_t slash = p.find_last_of('/');
            return slash == String::npos ? p : p.substr(slash + 1);
        };
        if (parser.has("features") || parser.has("splits"))
        {
            const String dir = parser.get<String>("gbu");
            Source src;
            src.features = parser.has("features") ? parser.get<String>("features") : dir + "/res101.mat";
            src.splits = parser.has("splits") ? parser.get<String>("splits") : dir + "/att_splits.mat";
            const size_t slash = src.splits.find_last_of('/');
            src.name = slash == String::npos ? String("dataset") : baseName(src.splits.substr(0, slash));
            sources.push_back(src);
        }
        else
            for (const String& dir : splitList(parser.get<String>("gbu")))
                sources.push_back({baseName(dir), dir + "/res101.mat", dir + "/att_splits.mat"});
        // The output is checked before hours of training, and never replaces an input.
        const String jsonFile = parser.has("json") ? parser.get<String>("json") : String();
        if (!jsonFile.empty())
        {
            std::vector<String> inputs;
            for (const Source& src : sources)
            {
                inputs.push_back(src.features);
                inputs.push_back(src.splits);
            }
            zsl_samples::checkOutput("--json", jsonFile, {".json"}, inputs);
        }
        std::vector<int> methods;
        if (parser.get<String>("methods") == "all")
            for (int m = ZeroShotClassifier::ESZSL; m <= ZeroShotClassifier::TF_VAEGAN; m++)
                methods.push_back(m);
        else
            for (const String& n : splitList(parser.get<String>("methods")))
                methods.push_back(methodFromName(n));

        std::vector<std::vector<Result> > perDataset;
        std::vector<String> missing;
        for (const Source& src : sources)
        {
            std::cerr << "Loading " << src.features << " and " << src.splits << std::endl;
            GbuDataset ds = GbuDataset::load(src.features, src.splits, parser.get<String>("variable"));
            zsl_samples::requireFinite(ds.features, src.features + ": features");
            std::cout << format("%s: %d images x %d features, %d classes (%d seen, %d unseen); trainval %zu, test seen %zu, "
                                "test unseen %zu\n", src.name.c_str(), ds.features.rows, ds.features.cols,
                                ds.splits.prototypes.size(), (int)ds.seenClasses().size(), (int)ds.unseenClasses().size(),
                                ds.splits.trainval.size(), ds.splits.testSeen.size(), ds.splits.testUnseen.size());
            std::vector<Result> results;
            for (int method : methods)
            {
                std::cerr << "[" << src.name << " " << methodName(method)
                          << "] model selection on train/val, calibration, trainval -> test ..." << std::endl;
                try
                {
                    results.push_back(runMethod(method, ds, parser.has("quick")));
                }
                catch (const cv::Exception& e)
                {
                    if (e.code != Error::StsNotImplemented)
                        throw;
                    if (std::find(missing.begin(), missing.end(), methodName(method)) == missing.end())
                        missing.push_back(methodName(method));
                }
            }
            std::cout << "\n" << src.name << "\n| method | val ZSL | ZSL top-1 | GZSL s | GZSL u | GZSL H | gamma | cal. s | cal. u | "
                         "cal. H | params | grid | time |\n";
            std::cout << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
            for (const Result& r : results)
                std::cout << format("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3g | %.3f | %.3f | %.3f | %s | %d cand., %d ext. | %.1f s |\n",
                                    r.method.c_str(), r.valZsl, r.zsl, r.raw.seen, r.raw.unseen, r.raw.harmonic, r.gamma,
                                    r.calibrated.seen, r.calibrated.unseen, r.calibrated.harmonic, r.params.c_str(),
                                    r.candidates, r.extensions, r.seconds);
            perDataset.push_back(results);
        }

        // The GBU paper's layout (Xian et al. 2018, Table 4 with GZSL): per dataset T1 (ZSL per-class top-1
        // on unseen classes), then GZSL u, s, H, in percent; uncalibrated as in the paper, then calibrated.
        for (int calibrated = 0; calibrated < 2; calibrated++)
        {
            std::cout << "\nGBU layout, " << (calibrated ? "calibrated stacking (gamma chosen on trainval only)" : "as in the paper (no calibration)")
                      << ", percent\n| Method |";
            for (const Source& src : sources)
                std::cout << " " << src.name << " T1 | " << src.name << " u | " << src.name << " s | " << src.name << " H |";
            std::cout << "\n|---|";
            for (size_t k = 0; k < sources.size(); k++)
                std::cout << "---|---|---|---|";
            std::cout << "\n";
            for (int method : methods)
            {
                String line = "| " + methodName(method) + " |";
                bool any = false;
                for (const std::vector<Result>& results : perDataset)
                {
                    auto it = std::find_if(results.begin(), results.end(),
                                           [&](const Result& r) { return r.method == methodName(method); });
                    if (it == results.end())
                    {
                        line += " | | | |";
                        continue;
                    }
                    any = true;
                    const GzslAccuracy& a = calibrated ? it->calibrated : it->raw;
                    line += format(" %.1f | %.1f | %.1f | %.1f |", 100 * it->zsl, 100 * a.unseen, 100 * a.seen, 100 * a.harmonic);
                }
                if (any)
                    std::cout << line << "\n";
            }
        }
        if (!missing.empty())
        {
            std::cout << "\nNot in this build:";
            for (const String& m : missing)
                std::cout << " " << m;
            std::cout << "\n";
        }
        if (!jsonFile.empty())
            writeStorageAtomically(jsonFile, [&](FileStorage& fs) {
                fs << "results" << "[";
                for (size_t k = 0; k < perDataset.size(); k++)
                    for (const Result& r : perDataset[k])
                        fs << "{" << "dataset" << sources[k].name << "method" << r.method << "params" << r.params
                           << "val_zsl" << r.valZsl << "zsl" << r.zsl << "seen" << r.raw.seen << "unseen" << r.raw.unseen
                           << "H" << r.raw.harmonic << "gamma" << r.gamma << "cal_seen" << r.calibrated.seen
                           << "cal_unseen" << r.calibrated.unseen << "cal_H" << r.calibrated.harmonic
                           << "grid_extensions" << r.extensions << "candidates" << r.candidates << "}";
                fs << "]";
            });
    }
    catch (const cv::Exception& e)
    {
        std::cerr << "zsl_benchmark: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
