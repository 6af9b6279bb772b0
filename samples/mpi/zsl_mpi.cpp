// This file is part of the opencv_zsl module (cv::zsl).
// Scale-out jobs on MPI (Open MPI): every rank runs its shard of the job, rank 0 merges (doc/scale_out.md).
//
//   mpirun -np 8 zsl_mpi label --list=images.txt --backbone=m.onnx [--classifier=model.yml.gz] --dir=shards/ --output=all.yml.gz
//   mpirun -np 8 zsl_mpi train --prototypes=classes.csv --method=ESZSL --output=model.yml.gz features-*.yml.gz
//   mpirun -np 8 zsl_mpi retrieve --queries=q.yml.gz --k=10 --output=hits.json gallery-*.yml.gz
//
// label: rank r computes shard r of N (cv::zsl::shardRange over the list) into <dir>/shard-r-of-N.yml.gz, atomically;
//   a rerun skips complete shards and recomputes partial or stale ones; rank 0 merges in input order only when every
//   rank succeeded. A failing rank makes the job exit 1 naming the rank and shard; the merged output is then not written.
// train: rank r accumulates cv::zsl::TrainingStatistics of the feature files shardRange(#files, N, r), MPI_Allreduce
//   sums them in rank order (a non-commutative reduction), rank 0 solves and writes the model (as zsl_train --features
//   on the concatenated files).
// retrieve: rank r searches the gallery files shardRange(#files, N, r) exactly; rank 0 gathers and merges the top-k
//   (cv::zsl::mergeTopK: the single-index answer, ties to the lower global row).
// The same steps without MPI, one process per shard: zsl_shard.
#include <mpi.h>
#include "../shard_jobs.hpp"

#include <cstring>

using namespace cv;
using namespace cv::zsl;
using namespace zsl_shards;

static const std::string keys = std::string("{help h usage ? |             | print this message }") + zsl_shards::jobOptions();

namespace {

int rank_ = 0, size_ = 1;

/** Runs `work` on every rank; returns true on every rank when all succeeded. Otherwise rank 0 prints
    each failing rank with its message (the rank is the shard), and every rank returns false. */
bool allSucceeded(const char* step, const std::function<void()>& work)
{
    const int kMessage = 1024;
    std::vector<char> message(kMessage, 0);
    int failed = 0;
    try
    {
        work();
    }
    catch (const cv::Exception& e)
    {
        failed = 1;
        std::strncpy(message.data(), e.err.c_str(), kMessage - 1); // the message without OpenCV's file:line prefix
    }
    catch (const std::exception& e)
    {
        failed = 1;
        std::strncpy(message.data(), e.what(), kMessage - 1);
    }
    std::vector<int> flags(size_);
    std::vector<char> messages((size_t)kMessage * size_);
    MPI_Gather(&failed, 1, MPI_INT, flags.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Gather(message.data(), kMessage, MPI_CHAR, messages.data(), kMessage, MPI_CHAR, 0, MPI_COMM_WORLD);
    int anyFailed = 0;
    if (rank_ == 0)
        for (int r = 0; r < size_; r++)
            if (flags[r])
            {
                anyFailed = 1;
                std::cerr << format("zsl_mpi %s: rank %d (shard %d of %d) failed: %s", step, r, r, size_,
                                    &messages[(size_t)kMessage * r]) << std::endl;
            }
    MPI_Bcast(&anyFailed, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return !anyFailed;
}

//! inout[i] = in[i] + inout[i]: declared non-commutative, so MPI reduces in rank order.
void sumInRankOrder(void* in, void* inout, int* len, MPI_Datatype*)
{
    const double* a = static_cast<const double*>(in);
    double* b = static_cast<double*>(inout);
    for (int i = 0; i < *len; i++)
        b[i] = a[i] + b[i];
}

std::vector<String> myFiles(const std::vector<String>& files)
{
    const Range r = shardRange((int)files.size(), size_, rank_);
    return std::vector<String>(files.begin() + r.start, files.begin() + r.end);
}

int label(const zsl_samples::Cli& cli, const std::string& output)
{
    const LabelJob job = labelJobFromCli(cli);
    bool ok = allSucceeded("label", [&] {
        if (job.list.empty() || job.backbone.empty() || job.dir.empty())
            CV_Error(Error::StsBadArg, "--list, --backbone and --dir are required");
        zsl_samples::checkOutput("--output", output, {".yml", ".yml.gz", ".json", ".json.gz", ".xml", ".xml.gz"}, {job.list});
        cv::utils::fs::createDirectories(job.dir);
        const std::string what = labelShard(job, rank_, size_);
        std::cerr << format("zsl_mpi label: rank %d: shard %d of %d %s", rank_, rank_, size_, what.c_str()) << std::endl;
    });
    if (!ok)
    {
        if (rank_ == 0)
            std::cerr << "zsl_mpi label: " << output << " not written; rerun to compute the missing shards "
                      << "(complete shards are kept)" << std::endl;
        return 1;
    }
    ok = allSucceeded("label (merge)", [&] {
        if (rank_ == 0)
        {
            const int rows = mergeLabelShards(job, size_, output);
            std::cerr << format("zsl_mpi label: merged %d shards (%d rows) into %s", size_, rows, output.c_str()) << std::endl;
        }
    });
    return ok ? 0 : 1;
}

int train(const zsl_samples::Cli& cli, const std::vector<String>& files, const std::string& output)
{
    ClassPrototypes all;
    ZeroShotClassifier::Params params;
    Ptr<TrainingStatistics> mine;
    int dims = 0;
    bool ok = allSucceeded("train", [&] {
        if (files.empty())
            CV_Error(Error::StsBadArg, "give the feature files");
        zsl_samples::checkOutput("--output", output, {".yml", ".yml.gz", ".json", ".json.gz", ".xml", ".xml.gz"}, files);
        all = zslsample::readAnyPrototypes(cli.str("prototypes"));
        params = closedFormParams(cli);
        mine = statisticsOf(myFiles(files), all, 0, params.normalizeFeatures);
        dims = mine ? mine->featureDim() : 0;
    });
    if (!ok)
        return 1;
    // Ranks without files learn D from the others; all must agree.
    int maxDims = 0, minDims = 0;
    const int myDims = dims > 0 ? dims : INT_MAX;
    MPI_Allreduce(&dims, &maxDims, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(&myDims, &minDims, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    Mat packed;
    ok = allSucceeded("train (allreduce)", [&] {
        if (minDims != maxDims)
            CV_Error(Error::StsBadSize, format("the shards have %d-d and %d-d features", minDims, maxDims));
        if (!mine)
            mine = TrainingStatistics::create(maxDims, all.size(), params.normalizeFeatures);
        const double count = (double)maxDims * maxDims + (double)all.size() * maxDims + all.size();
        if (count > INT_MAX)
            CV_Error(Error::StsOutOfRange, format("%.0f statistics values exceed one MPI message (INT_MAX)", count));
        // [Gram | class sums | counts] as one buffer of doubles.
        Mat parts[3] = {mine->getGram().reshape(1, 1), mine->getClassSums().reshape(1, 1), mine->getClassCounts().reshape(1, 1)};
        hconcat(parts, 3, packed);
    });
    if (!ok)
        return 1;
    Mat total(packed.size(), CV_64F);
    MPI_Op op;
    MPI_Op_create(&sumInRankOrder, 0 /* not commutative: rank order */, &op);
    MPI_Allreduce(packed.ptr<double>(), total.ptr<double>(), (int)packed.total(), MPI_DOUBLE, op, MPI_COMM_WORLD);
    MPI_Op_free(&op);
    ok = allSucceeded("train (solve)", [&] {
        if (rank_ != 0)
            return;
        const int D = maxDims, C = all.size();
        const double* p = total.ptr<double>();
        Ptr<TrainingStatistics> stats = TrainingStatistics::fromMatrices(
            Mat(D, D, CV_64F, (void*)p), Mat(C, D, CV_64F, (void*)(p + (size_t)D * D)),
            Mat(C, 1, CV_64F, (void*)(p + (size_t)D * D + (size_t)C * D)), params.normalizeFeatures);
        trainFromStatistics(stats, all, params)->save(output);
        std::cerr << format("zsl_mpi train: %s on %.0f samples from %zu files over %d ranks (%.0f doubles per rank "
                            "reduced) -> %s", methodName(params.method).c_str(), stats->numSamples(), files.size(), size_,
                            (double)total.total(), output.c_str()) << std::endl;
    });
    return ok ? 0 : 1;
}

//! Concatenation of every rank's bytes on rank 0 (rank order).
std::vector<char> gatherBytes(const std::vector<char>& mine, std::vector<int>& counts)
{
    const int n = (int)mine.size();
    counts.assign(size_, 0);
    MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<int> displs(size_, 0);
    for (int r = 1; r < size_; r++)
        displs[r] = displs[r - 1] + counts[r - 1];
    std::vector<char> all(rank_ == 0 ? (size_t)displs[size_ - 1] + counts[size_ - 1] : 0);
    MPI_Gatherv(mine.data(), n, MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
    return all;
}

int retrieve(const zsl_samples::Cli& cli, const std::vector<String>& files, const std::string& output)
{
    ShardHits hits;
    int k = 0;
    bool ok = allSucceeded("retrieve", [&] {
        if (files.empty())
            CV_Error(Error::StsBadArg, "give the gallery files (every rank takes its part)");
        std::vector<String> inputs = files;
        inputs.push_back(cli.str("queries"));
        zsl_samples::checkOutput("--output", output, {".json"}, inputs);
        k = (int)cli.integer("k", 1, 100000);
        Mat gallery;
        std::vector<String> names;
        readGallery(myFiles(files), gallery, names);
        hits = searchShard(gallery, names, readQueries(cli.str("queries")), k);
    });
    if (!ok)
        return 1;
    // Each rank's hits travel as one FileStorage text (rows, indices, similarities, names).
    FileStorage out(".yml", FileStorage::WRITE | FileStorage::MEMORY);
    out << "rows" << hits.rows << "indices" << hits.indices << "similarities" << hits.similarities << "names" << hits.names;
    const std::string text = out.releaseAndGetString();
    std::vector<int> counts;
    const std::vector<char> all = gatherBytes(std::vector<char>(text.begin(), text.end()), counts);
    ok = allSucceeded("retrieve (merge)", [&] {
        if (rank_ != 0)
            return;
        std::vector<ShardHits> shards(size_);
        size_t offset = 0;
        for (int r = 0; r < size_; r++)
        {
            FileStorage in(std::string(all.begin() + offset, all.begin() + offset + counts[r]), FileStorage::READ | FileStorage::MEMORY);
            offset += counts[r];
            shards[r].rows = (int)in["rows"];
            in["indices"] >> shards[r].indices;
            in["similarities"] >> shards[r].similarities;
            in["names"] >> shards[r].names;
        }
        writeMergedHits(shards, k, output);
        std::cerr << format("zsl_mpi retrieve: top-%d of %d shards merged into %s", k, size_, output.c_str()) << std::endl;
    });
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    zsl_samples::Cli cli(argc, argv, keys,
                         "Scale-out jobs on MPI: mpirun -np N zsl_mpi <label|train|retrieve> [options] [files]; see doc/scale_out.md.\n");
    if (cli.positional.empty())
        cli.usage("give a step: label, train or retrieve");
    const std::string step = cli.positional[0];
    if (step != "label" && step != "train" && step != "retrieve")
        cli.usage("unknown step '" + step + "' (label, train or retrieve)");
    const std::vector<String> files(cli.positional.begin() + 1, cli.positional.end());
    const std::string output = cli.str("output");
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    int rc = 1;
    try
    {
        rc = step == "label" ? label(cli, output) : step == "train" ? train(cli, files, output) : retrieve(cli, files, output);
    }
    catch (const std::exception& e)
    {
        std::cerr << "zsl_mpi: rank " << rank_ << ": " << e.what() << std::endl;
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Finalize();
    return rc;
}
