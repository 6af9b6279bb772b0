// This file is part of the opencv_zsl module (cv::zsl).
// One shard of a scale-out job per process, without MPI: the per-shard command line that Slurm job arrays,
// Spark's RDD.pipe or a shell loop drive (doc/scale_out.md). zsl_mpi runs the same steps on MPI ranks.
//
//   zsl_shard label  --shard=i/N --list=images.txt --backbone=m.onnx [--classifier=model.yml.gz] --dir=shards/
//   zsl_shard merge-labels --shards=N --list=images.txt --backbone=m.onnx [...same options] --dir=shards/ --output=all.yml.gz
//   zsl_shard stats  --prototypes=classes.csv --output=part-i.zslstats features-i.yml.gz [more files of shard i]
//   zsl_shard solve  --prototypes=classes.csv --method=ESZSL --output=model.yml.gz part-0.zslstats part-1.zslstats ...
//   zsl_shard search --shard=i/N --queries=q.yml.gz --k=10 --output=hits-i.yml.gz gallery-0.yml.gz gallery-1.yml.gz ...
//   zsl_shard merge-search --shards=N --k=10 --output=hits.json hits-0.yml.gz hits-1.yml.gz ...
//
// label: a rerun skips shards whose file is complete (completion marker, job key and checksum match) and recomputes
// partial or stale ones. merge-labels writes the output only when every shard is complete (else exit 1 naming the
// shard). search: shard i searches the gallery files shardRange(#files, N, i) of the list given.
#include "shard_jobs.hpp"

using namespace cv;
using namespace cv::zsl;
using namespace zsl_shards;

static const std::string keys = std::string(
    "{help h usage ? |             | print this message }"
    "{shard          |             | i/N: this process's shard (label, search) }"
    "{shards         |             | N: number of shards (merge-labels, merge-search) }") + zsl_shards::jobOptions();

int main(int argc, char** argv)
{
    zsl_samples::Cli cli(argc, argv, keys,
                         "One shard of a scale-out job (labelling, closed-form training, exact search); see doc/scale_out.md.\n"
                         "Usage: zsl_shard <label|merge-labels|stats|solve|search|merge-search> [options] [files]\n");
    if (cli.positional.empty())
        cli.usage("give a step: label, merge-labels, stats, solve, search or merge-search");
    const std::string step = cli.positional[0];
    const std::vector<String> files(cli.positional.begin() + 1, cli.positional.end());
    const std::string output = cli.str("output");
    try
    {
        if (step == "label" || step == "merge-labels")
        {
            const LabelJob job = labelJobFromCli(cli);
            if (job.list.empty() || job.backbone.empty() || job.dir.empty())
                CV_Error(Error::StsBadArg, "--list, --backbone and --dir are required");
            if (step == "label")
            {
                int shard = 0, shards = 1;
                parseShard(cli.str("shard"), shard, shards);
                cv::utils::fs::createDirectories(job.dir);
                std::cerr << "zsl_shard: shard " << shard << " of " << shards << ": " << labelShard(job, shard, shards) << std::endl;
            }
            else
            {
                const int shards = (int)cli.integer("shards", 1, 1000000);
                zsl_samples::checkOutput("--output", output, {".yml", ".yml.gz", ".json", ".json.gz", ".xml", ".xml.gz"},
                                         {job.list});
                const int rows = mergeLabelShards(job, shards, output);
                std::cerr << "zsl_shard: merged " << shards << " shards (" << rows << " rows) into " << output << std::endl;
            }
        }
        else if (step == "stats" || step == "solve")
        {
            if (files.empty())
                CV_Error(Error::StsBadArg, step == "stats" ? "give the feature files of this shard" : "give the statistics files");
            const ClassPrototypes all = zslsample::readAnyPrototypes(cli.str("prototypes"));
            const bool normalize = cli.flag("normalize");
            if (step == "stats")
            {
                zsl_samples::checkOutput("--output", output, {".zslstats"}, files);
                statisticsOf(files, all, 0, normalize)->save(output);
                std::cerr << "zsl_shard: statistics of " << files.size() << " files written to " << output << std::endl;
            }
            else
            {
                zsl_samples::checkOutput("--output", output, {".yml", ".yml.gz", ".json", ".json.gz", ".xml", ".xml.gz"}, files);
                // Merged in the order given: the same order gives the same model, bit for bit.
                Ptr<TrainingStatistics> total = TrainingStatistics::load(files[0]);
                for (size_t i = 1; i < files.size(); i++)
                    total->merge(TrainingStatistics::load(files[i]));
                if (total->numClasses() != all.size())
                    CV_Error(Error::StsBadSize, format("the statistics have %d classes, --prototypes %d", total->numClasses(), all.size()));
                const ZeroShotClassifier::Params params = closedFormParams(cli);
                trainFromStatistics(total, all, params)->save(output);
                std::cerr << "zsl_shard: " << methodName(params.method) << " on " << total->numSamples() << " samples -> " << output << std::endl;
            }
        }
        else if (step == "search")
        {
            int shard = 0, shards = 1;
            parseShard(cli.str("shard"), shard, shards);
            if (files.empty())
                CV_Error(Error::StsBadArg, "give the gallery files (all of them: this shard takes its part)");
            std::vector<String> inputs = files;
            inputs.push_back(cli.str("queries"));
            zsl_samples::checkOutput("--output", output, {".yml", ".yml.gz"}, inputs);
            const Range r = shardRange((int)files.size(), shards, shard);
            Mat gallery;
            std::vector<String> names;
            readGallery(std::vector<String>(files.begin() + r.start, files.begin() + r.end), gallery, names);
            const ShardHits hits = searchShard(gallery, names, readQueries(cli.str("queries")), (int)cli.integer("k", 1, 100000));
            writeShardHits(hits, shard, shards, output);
            std::cerr << "zsl_shard: shard " << shard << " of " << shards << ": " << hits.rows << " gallery rows searched" << std::endl;
        }
        else if (step == "merge-search")
        {
            const int shards = (int)cli.integer("shards", 1, 1000000);
            if ((int)files.size() != shards)
                CV_Error(Error::StsBadArg, format("give the %d hits files in shard order (got %zu)", shards, files.size()));
            zsl_samples::checkOutput("--output", output, {".json"}, files);
            std::vector<ShardHits> hits;
            for (int s = 0; s < shards; s++)
                hits.push_back(readShardHits(files[s], s, shards));
            writeMergedHits(hits, (int)cli.integer("k", 1, 100000), output);
        }
        else
            cli.usage("unknown step '" + step + "' (label, merge-labels, stats, solve, search or merge-search)");
    }
    catch (const std::exception& e)
    {
        return cli.fail(e.what());
    }
    return 0;
}
