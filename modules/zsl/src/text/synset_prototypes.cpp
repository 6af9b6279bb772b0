// This file is part of the opencv_zsl module (cv::zsl).
// Word-vector prototypes of WordNet synsets (lemmas averaged, optionally the gloss).
#include "precomp.hpp"
#include "opencv2/zsl/synset_prototypes.hpp"
#include "io/input_file.hpp"

#include <cctype>
#include <unordered_set>

namespace cv {
namespace zsl {

namespace {

//! Rows of the vocabulary that make up one word ("t-shirt": itself, or "t" and "shirt" when unknown).
bool wordRows(const WordVectors& wv, const String& word, bool partial, std::vector<int>& rows)
{
    const int r = wv.indexOf(word);
    if (r >= 0)
    {
        rows.push_back(r);
        return true;
    }
    if (word.find('-') == String::npos)
        return false;
    bool all = true;
    size_t start = 0;
    while (start <= word.size())
    {
        size_t dash = word.find('-', start);
        if (dash == String::npos)
            dash = word.size();
        if (dash > start)
        {
            const int part = wv.indexOf(word.substr(start, dash - start));
            if (part >= 0)
                rows.push_back(part);
            else
                all = false;
        }
        start = dash + 1;
    }
    return all || partial;
}

//! Adds the mean of `rows` of V to acc; false when rows is empty.
bool addMean(const Mat& V, const std::vector<int>& rows, double weight, Mat& acc)
{
    if (rows.empty())
        return false;
    Mat mean = Mat::zeros(1, V.cols, CV_64F), row;
    for (int r : rows)
    {
        V.row(r).convertTo(row, CV_64F);
        mean += row;
    }
    acc += mean * (weight / (double)rows.size());
    return true;
}

bool isStopWord(const std::string& w)
{
    static const std::unordered_set<std::string> stop = {
        "a", "an", "the", "of", "or", "and", "in", "on", "to", "for", "with", "that", "which", "is", "are", "by", "as",
        "at", "from", "its", "it", "be", "used", "any", "some", "especially", "usually", "often", "etc"};
    std::string lower(w);
    for (char& c : lower)
        c = (char)std::tolower((unsigned char)c);
    return lower.size() < 2 || stop.count(lower) > 0;
}

//! Definition words of a WordNet gloss (the part before the quoted examples).
std::vector<String> glossWords(const String& gloss)
{
    String def = gloss.substr(0, gloss.find('"'));
    std::vector<String> words;
    String cur;
    for (char c : def + " ")
    {
        if (std::isalpha((unsigned char)c))
            cur += c;
        else if (!cur.empty())
        {
            if (!isStopWord(cur))
                words.push_back(cur);
            cur.clear();
        }
    }
    return words;
}

} // namespace

ClassPrototypes synsetPrototypes(const Ptr<WordVectors>& vectors, const Ptr<ClassHierarchy>& hierarchy,
                                 const std::vector<String>& ids, std::vector<uchar>& covered,
                                 const SynsetEmbeddingOptions& options)
{
    const char* where = "synsetPrototypes";
    return detail::publicBoundary(where, [&]() {
        if (!vectors || !hierarchy)
            CV_Error(Error::StsNullPtr, cv::format("%s: null %s", where, vectors ? "hierarchy" : "word vectors"));
        if (options.oovPolicy != OOV_ERROR && options.oovPolicy != OOV_SKIP_WORDS)
            CV_Error(Error::StsOutOfRange, cv::format("%s: unknown OOV policy %d", where, options.oovPolicy));
        if (!std::isfinite(options.glossWeight) || options.glossWeight < 0)
            CV_Error(Error::StsOutOfRange, cv::format("%s: glossWeight = %g must be finite and >= 0", where,
                                                      options.glossWeight));
        if (ids.empty())
            CV_Error(Error::StsBadArg, cv::format("%s: no synset ids", where));
        std::unordered_set<std::string> seen;
        for (const String& id : ids)
            if (!seen.insert(id).second)
                CV_Error(Error::StsBadArg, cv::format("%s: duplicate id '%s'", where, detail::escapeForMessage(id).c_str()));
        const std::vector<int> nodes = hierarchy->findAll(ids, cv::format("%s: synset ids", where));
        const Mat V = vectors->getVectors();
        const int D = vectors->dims();
        Mat out = Mat::zeros((int)ids.size(), D, CV_32F);
        covered.assign(ids.size(), 0);
        std::vector<String> uncovered;
        cv::parallel_for_(Range(0, (int)ids.size()), [&](const Range& r) {
            std::vector<int> rows;
            for (int i = r.start; i < r.end; i++)
            {
                Mat lemmaSum = Mat::zeros(1, D, CV_64F), acc = Mat::zeros(1, D, CV_64F);
                int lemmas = 0;
                for (const String& lemma : hierarchy->getNames(nodes[i]))
                {
                    rows.clear();
                    bool ok;
                    const int whole = vectors->indexOf(lemma);
                    if (whole >= 0)
                    {
                        rows.push_back(whole);
                        ok = true;
                    }
                    else
                    {
                        ok = true;
                        for (const String& w : WordVectors::splitLabel(lemma))
                            ok = wordRows(*vectors, w, options.partialLemmas, rows) && ok;
                        ok = ok || options.partialLemmas;
                    }
                    if (ok && addMean(V, rows, 1.0, lemmaSum))
                        lemmas++;
                }
                bool any = false;
                if (lemmas > 0)
                {
                    acc += lemmaSum / (double)lemmas;
                    any = true;
                }
                if (options.glossWeight > 0)
                {
                    rows.clear();
                    for (const String& w : glossWords(hierarchy->getGloss(nodes[i])))
                    {
                        const int gr = vectors->indexOf(w);
                        if (gr >= 0)
                            rows.push_back(gr);
                    }
                    any = addMean(V, rows, options.glossWeight, acc) || any;
                }
                if (any)
                {
                    acc.convertTo(out.row(i), CV_32F);
                    covered[i] = 1;
                }
            }
        });
        for (size_t i = 0; i < ids.size(); i++)
            if (!covered[i])
                uncovered.push_back(ids[i]);
        if (!uncovered.empty() && options.oovPolicy == OOV_ERROR)
        {
            std::string list;
            for (size_t i = 0; i < uncovered.size() && i < 10; i++)
                list += (i ? ", " : "") + uncovered[i] + " (" + hierarchy->getNames(hierarchy->find(uncovered[i]))[0] + ")";
            CV_Error(Error::StsObjectNotFound, cv::format("%s: %d of %d synsets have no word vector: %s%s", where,
                                                          (int)uncovered.size(), (int)ids.size(), list.c_str(),
                                                          uncovered.size() > 10 ? ", ..." : ""));
        }
        CV_LOG_INFO(NULL, cv::format("%s: %d of %d synsets covered", where, (int)(ids.size() - uncovered.size()),
                                     (int)ids.size()));
        return ClassPrototypes(ids, out).normalized(options.normalization);
    });
}

}} // namespace cv::zsl
