// This file is part of the opencv_zsl module (cv::zsl).
// ClassHierarchy: WordNet's noun hypernym DAG (data.noun of WordNet 3.0) or a hand-built edge list; hop
// distances and the ImageNet label sets of DeViSE / ConSE built from them.
#include "precomp.hpp"
#include "opencv2/zsl/class_hierarchy.hpp"
#include "io/input_file.hpp"

#include <deque>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace cv {
namespace zsl {

ClassHierarchy::~ClassHierarchy() {}

namespace {

const char* const kLoadWordNet = "ClassHierarchy::loadWordNet";

class ClassHierarchyImpl CV_FINAL : public ClassHierarchy
{
public:
    std::vector<String> ids_;
    std::vector<std::vector<String>> names_;
    std::vector<String> glosses_;
    std::vector<std::vector<int>> parents_, children_;
    std::unordered_map<std::string, int> index_;

    //! Sorts and deduplicates the adjacency lists, fills children_, and refuses cycles (Kahn's algorithm).
    void finish(const char* where)
    {
        const int n = (int)ids_.size();
        children_.assign(n, std::vector<int>());
        for (int v = 0; v < n; v++)
        {
            std::vector<int>& p = parents_[v];
            std::sort(p.begin(), p.end());
            p.erase(std::unique(p.begin(), p.end()), p.end());
            for (int u : p)
            {
                if (u == v)
                    CV_Error(Error::StsBadArg, cv::format("%s: '%s' is its own parent (a cycle)", where,
                                                          detail::escapeForMessage(ids_[v]).c_str()));
                children_[u].push_back(v);
            }
        }
        // Kahn: repeatedly remove nodes without remaining parents; what is left lies on or above a cycle.
        std::vector<int> pending(n);
        std::vector<int> queue;
        for (int v = 0; v < n; v++)
            if ((pending[v] = (int)parents_[v].size()) == 0)
                queue.push_back(v);
        for (size_t q = 0; q < queue.size(); q++)
            for (int c : children_[queue[q]])
                if (--pending[c] == 0)
                    queue.push_back(c);
        if ((int)queue.size() != n)
        {
            // Walk parents among the unresolved nodes until one repeats: that node lies on a cycle.
            int v = 0;
            while (pending[v] == 0)
                v++;
            std::vector<char> seen(n, 0);
            while (!seen[v])
            {
                seen[v] = 1;
                for (int u : parents_[v])
                    if (pending[u] > 0)
                    {
                        v = u;
                        break;
                    }
            }
            CV_Error(Error::StsBadArg, cv::format("%s: the hierarchy has a cycle through '%s' (%d nodes unresolved)",
                                                  where, detail::escapeForMessage(ids_[v]).c_str(),
                                                  n - (int)queue.size()));
        }
    }

    void checkNode(int node, const char* where) const
    {
        if (node < 0 || node >= (int)ids_.size())
            CV_Error(Error::StsOutOfRange, cv::format("ClassHierarchy::%s: node %d out of range [0, %d)", where, node,
                                                      (int)ids_.size()));
    }

    int size() const CV_OVERRIDE { return (int)ids_.size(); }

    int indexOf(const String& id) const CV_OVERRIDE
    {
        auto it = index_.find(id);
        return it == index_.end() ? -1 : it->second;
    }

    int find(const String& id) const CV_OVERRIDE
    {
        const int i = indexOf(id);
        if (i < 0)
            CV_Error(Error::StsObjectNotFound, cv::format("ClassHierarchy::find: unknown id '%s'",
                                                          detail::escapeForMessage(id).c_str()));
        return i;
    }

    std::vector<int> findAll(const std::vector<String>& ids, const String& what) const CV_OVERRIDE
    {
        std::vector<int> out(ids.size());
        std::string unknown;
        int nUnknown = 0;
        for (size_t i = 0; i < ids.size(); i++)
            if ((out[i] = indexOf(ids[i])) < 0 && nUnknown++ < 10)
                unknown += (unknown.empty() ? "'" : ", '") + detail::escapeForMessage(ids[i], 40) + "'";
        if (nUnknown)
            CV_Error(Error::StsObjectNotFound,
                     cv::format("%s%s%d unknown id(s) of %d: %s%s", what.c_str(), what.empty() ? "" : ": ", nUnknown,
                                (int)ids.size(), unknown.c_str(), nUnknown > 10 ? ", ..." : ""));
        return out;
    }

    //! The node's entry of a per-node table, the node checked first.
    template <typename T>
    const T& at(const std::vector<T>& table, int node, const char* where) const
    {
        checkNode(node, where);
        return table[node];
    }

    String getId(int node) const CV_OVERRIDE { return at(ids_, node, "getId"); }
    std::vector<String> getNames(int node) const CV_OVERRIDE { return at(names_, node, "getNames"); }
    String getGloss(int node) const CV_OVERRIDE { return at(glosses_, node, "getGloss"); }
    std::vector<int> getParents(int node) const CV_OVERRIDE { return at(parents_, node, "getParents"); }
    std::vector<int> getChildren(int node) const CV_OVERRIDE { return at(children_, node, "getChildren"); }
    std::vector<int> getRoots() const CV_OVERRIDE
    {
        std::vector<int> roots;
        for (int v = 0; v < size(); v++)
            if (parents_[v].empty())
                roots.push_back(v);
        return roots;
    }

    std::vector<int> pathToRoot(int node) const CV_OVERRIDE
    {
        checkNode(node, "pathToRoot");
        // Breadth-first upwards; parents are visited in ascending order, so the first root dequeued is at
        // the smallest depth and reached through the lowest-numbered parents.
        std::unordered_map<int, int> from{{node, -1}};
        std::deque<int> queue{node};
        while (!queue.empty())
        {
            const int v = queue.front();
            queue.pop_front();
            if (parents_[v].empty())
            {
                std::vector<int> path;
                for (int u = v; u >= 0; u = from[u])
                    path.push_back(u);
                std::reverse(path.begin(), path.end());
                return path;
            }
            for (int u : parents_[v])
                if (from.emplace(u, v).second)
                    queue.push_back(u);
        }
        CV_Error(Error::StsInternal, "ClassHierarchy::pathToRoot: no root reached (impossible in an acyclic graph)");
    }

    int hopDistance(int a, int b) const CV_OVERRIDE
    {
        checkNode(a, "hopDistance");
        checkNode(b, "hopDistance");
        std::unordered_map<int, int> dist{{a, 0}};
        std::deque<int> queue{a};
        while (!queue.empty())
        {
            const int v = queue.front();
            queue.pop_front();
            if (v == b)
                return dist[v];
            const int d = dist[v] + 1;
            for (const std::vector<int>* adj : {&parents_[v], &children_[v]})
                for (int u : *adj)
                    if (dist.emplace(u, d).second)
                        queue.push_back(u);
        }
        return -1;
    }

    void hopDistances(const std::vector<int>& sources, int maxHops, std::vector<int>& distances,
                      const std::vector<uchar>& throughNodes) const CV_OVERRIDE
    {
        const int n = size();
        if (maxHops < 0)
            CV_Error(Error::StsOutOfRange, cv::format("ClassHierarchy::hopDistances: maxHops = %d must be >= 0", maxHops));
        if (!throughNodes.empty() && (int)throughNodes.size() != n)
            CV_Error(Error::StsBadSize, cv::format("ClassHierarchy::hopDistances: throughNodes has %d entries, the "
                                                   "hierarchy %d nodes", (int)throughNodes.size(), n));
        distances.assign(n, -1);
        std::vector<int> frontier;
        for (int s : sources)
        {
            checkNode(s, "hopDistances");
            if (!throughNodes.empty() && !throughNodes[s])
                CV_Error(Error::StsBadArg, cv::format("ClassHierarchy::hopDistances: source '%s' is outside throughNodes",
                                                      detail::escapeForMessage(ids_[s]).c_str()));
            if (distances[s] < 0)
            {
                distances[s] = 0;
                frontier.push_back(s);
            }
        }
        std::vector<int> next;
        for (int d = 1; d <= maxHops && !frontier.empty(); d++)
        {
            next.clear();
            for (int v : frontier)
                for (const std::vector<int>* adj : {&parents_[v], &children_[v]})
                    for (int u : *adj)
                        if (distances[u] < 0 && (throughNodes.empty() || throughNodes[u]))
                        {
                            distances[u] = d;
                            next.push_back(u);
                        }
            frontier.swap(next);
        }
    }

    bool isAncestor(int ancestor, int node) const CV_OVERRIDE
    {
        checkNode(ancestor, "isAncestor");
        checkNode(node, "isAncestor");
        std::vector<char> seen(size(), 0);
        std::vector<int> stack{node};
        while (!stack.empty())
        {
            const int v = stack.back();
            stack.pop_back();
            if (v == ancestor)
                return true;
            for (int u : parents_[v])
                if (!seen[u])
                {
                    seen[u] = 1;
                    stack.push_back(u);
                }
        }
        return false;
    }
};

//! Splits on single spaces (WordNet's field separator); empty fields are kept so that double spaces fail.
void splitFields(std::string_view s, std::vector<std::string_view>& out)
{
    out.clear();
    size_t start = 0;
    while (start <= s.size())
    {
        size_t sp = s.find(' ', start);
        if (sp == std::string_view::npos)
            sp = s.size();
        out.push_back(s.substr(start, sp - start));
        start = sp + 1;
    }
}

bool parseUnsigned(std::string_view f, int base, size_t digits, uint64_t& value)
{
    if (f.empty() || (digits && f.size() != digits) || f.size() > 12)
        return false;
    value = 0;
    for (char c : f)
    {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return false;
        value = value * base + d;
    }
    return true;
}

} // namespace

Ptr<ClassHierarchy> ClassHierarchy::loadWordNet(const String& dataNounPath)
{
    return detail::publicBoundary(kLoadWordNet, [&]() -> Ptr<ClassHierarchy> {
        const std::string text = detail::readTextCapped(dataNounPath, kLoadWordNet, INPUT_LIMIT_TEXT_BYTES, false);
        const std::string file = detail::escapeForMessage(dataNounPath);
        auto fail = [&](int line, const std::string& what) {
            CV_Error(Error::StsParseError, cv::format("%s: %s:%d: %s", kLoadWordNet, file.c_str(), line, what.c_str()));
        };
        Ptr<ClassHierarchyImpl> h = makePtr<ClassHierarchyImpl>();
        std::unordered_map<uint64_t, int> byOffset;
        struct PendingEdge
        {
            int child;
            uint64_t parentOffset;
            int line;
        };
        std::vector<PendingEdge> edges;
        std::vector<std::string_view> f;
        size_t pos = 0;
        int line = 0;
        while (pos < text.size())
        {
            line++;
            size_t end = text.find('\n', pos);
            if (end == std::string::npos)
                fail(line, "truncated: the last line has no newline");
            std::string_view s(text.data() + pos, end - pos);
            const uint64_t lineOffset = pos;
            pos = end + 1;
            if (!s.empty() && s.back() == '\r')
                s.remove_suffix(1);
            if (s.empty())
                fail(line, "empty line");
            if (s[0] == ' ') // the license header: lines starting with two spaces
                continue;
            const size_t bar = s.find(" | ");
            if (bar == std::string_view::npos)
                fail(line, "no gloss separator \" | \"");
            std::string_view gloss = s.substr(bar + 3);
            while (!gloss.empty() && gloss.back() == ' ')
                gloss.remove_suffix(1);
            splitFields(s.substr(0, bar), f);
            uint64_t offset = 0, wcnt = 0, pcnt = 0, v = 0;
            if (f.size() < 6)
                fail(line, cv::format("%d fields before the gloss, a synset line has at least 6", (int)f.size()));
            if (!parseUnsigned(f[0], 10, 8, offset))
                fail(line, "synset offset '" + detail::escapeForMessage(std::string(f[0]), 40) + "' is not 8 digits");
            if (offset != lineOffset)
                fail(line, cv::format("synset offset %08llu differs from the line's byte offset %llu (corrupt or "
                                      "re-encoded file)", (unsigned long long)offset, (unsigned long long)lineOffset));
            if (!parseUnsigned(f[1], 10, 2, v))
                fail(line, "lexicographer file number is not 2 digits");
            if (f[2] != "n")
                fail(line, "synset type '" + detail::escapeForMessage(std::string(f[2]), 40) + "' is not 'n' (noun)");
            if (!parseUnsigned(f[3], 16, 2, wcnt) || wcnt == 0)
                fail(line, "word count is not 2 hex digits > 0");
            size_t i = 4;
            if (f.size() < i + 2 * wcnt + 1)
                fail(line, cv::format("%d words announced, fewer present", (int)wcnt));
            const int node = (int)h->ids_.size();
            std::vector<String> lemmas;
            for (uint64_t w = 0; w < wcnt; w++, i += 2)
            {
                if (f[i].empty())
                    fail(line, cv::format("word %d is empty", (int)w + 1));
                if (!parseUnsigned(f[i + 1], 16, 1, v))
                    fail(line, cv::format("lex_id of word %d is not one hex digit", (int)w + 1));
                lemmas.emplace_back(f[i]);
            }
            if (!parseUnsigned(f[i], 10, 3, pcnt))
                fail(line, "pointer count is not 3 digits");
            i++;
            if (f.size() != i + 4 * pcnt)
                fail(line, cv::format("%d pointers announced, %d fields present (need 4 per pointer)", (int)pcnt,
                                      (int)(f.size() - i)));
            for (uint64_t p = 0; p < pcnt; p++, i += 4)
            {
                uint64_t target = 0;
                if (f[i].empty() || f[i].size() > 2 || !parseUnsigned(f[i + 1], 10, 8, target) || f[i + 2].size() != 1 ||
                    !parseUnsigned(f[i + 3], 16, 4, v))
                    fail(line, cv::format("pointer %d is malformed", (int)p + 1));
                if ((f[i] == "@" || f[i] == "@i") && f[i + 2] == "n")
                    edges.push_back(PendingEdge{node, target, line});
            }
            char id[16];
            std::snprintf(id, sizeof(id), "n%08llu", (unsigned long long)offset);
            byOffset.emplace(offset, node);
            h->index_.emplace(id, node);
            h->ids_.push_back(id);
            h->names_.push_back(std::move(lemmas));
            h->glosses_.emplace_back(gloss);
        }
        if (h->ids_.empty())
            CV_Error(Error::StsParseError, cv::format("%s: %s: no synset lines (not a WordNet data.noun file)",
                                                      kLoadWordNet, file.c_str()));
        h->parents_.assign(h->ids_.size(), std::vector<int>());
        for (const PendingEdge& e : edges)
        {
            auto it = byOffset.find(e.parentOffset);
            if (it == byOffset.end())
                fail(e.line, cv::format("hypernym %08llu is not a synset of the file", (unsigned long long)e.parentOffset));
            h->parents_[e.child].push_back(it->second);
        }
        h->finish(kLoadWordNet);
        CV_LOG_INFO(NULL, cv::format("%s: %d synsets, %d hypernym edges from '%s'", kLoadWordNet, (int)h->ids_.size(),
                                     (int)edges.size(), file.c_str()));
        return h;
    });
}

Ptr<ClassHierarchy> ClassHierarchy::create(const std::vector<String>& ids, const std::vector<String>& childIds,
                                           const std::vector<String>& parentIds, const std::vector<String>& names)
{
    const char* where = "ClassHierarchy::create";
    return detail::publicBoundary(where, [&]() -> Ptr<ClassHierarchy> {
        if (childIds.size() != parentIds.size())
            CV_Error(Error::StsBadSize, cv::format("%s: %d child ids but %d parent ids", where, (int)childIds.size(),
                                                   (int)parentIds.size()));
        if (!names.empty() && names.size() != ids.size())
            CV_Error(Error::StsBadSize, cv::format("%s: %d names for %d ids", where, (int)names.size(), (int)ids.size()));
        Ptr<ClassHierarchyImpl> h = makePtr<ClassHierarchyImpl>();
        for (size_t i = 0; i < ids.size(); i++)
        {
            const String& id = ids[i];
            if (id.empty() || id.find_first_of(" \t\r\n") != String::npos)
                CV_Error(Error::StsBadArg, cv::format("%s: id %d ('%s') is empty or holds whitespace", where, (int)i,
                                                      detail::escapeForMessage(id).c_str()));
            if (!h->index_.emplace(id, (int)i).second)
                CV_Error(Error::StsBadArg, cv::format("%s: duplicate id '%s'", where, detail::escapeForMessage(id).c_str()));
            h->ids_.push_back(id);
            h->names_.push_back(std::vector<String>(1, names.empty() ? id : names[i]));
            h->glosses_.push_back(String());
        }
        const std::vector<int> c = h->findAll(childIds, cv::format("%s: child ids", where));
        const std::vector<int> p = h->findAll(parentIds, cv::format("%s: parent ids", where));
        h->parents_.assign(ids.size(), std::vector<int>());
        for (size_t e = 0; e < c.size(); e++)
            h->parents_[c[e]].push_back(p[e]);
        h->finish(where);
        return h;
    });
}

std::vector<String> readClassIdList(const String& path)
{
    const char* where = "readClassIdList";
    return detail::publicBoundary(where, [&]() {
        const std::string text = detail::readTextCapped(path, where, INPUT_LIMIT_TEXT_BYTES, false);
        const std::string file = detail::escapeForMessage(path);
        std::vector<String> ids;
        std::unordered_map<std::string, int> firstLine;
        size_t pos = 0;
        int line = 0;
        while (pos < text.size())
        {
            line++;
            size_t end = text.find('\n', pos);
            if (end == std::string::npos)
                end = text.size();
            std::string s = text.substr(pos, end - pos);
            pos = end + 1;
            const size_t hash = s.find('#');
            if (hash != std::string::npos)
                s.erase(hash);
            const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
            if (b == std::string::npos)
                continue;
            s = s.substr(b, e - b + 1);
            if (s.find_first_of(" \t") != std::string::npos)
                CV_Error(Error::StsParseError, cv::format("%s: %s:%d: '%s' holds whitespace (one id per line)", where,
                                                          file.c_str(), line, detail::escapeForMessage(s).c_str()));
            auto ins = firstLine.emplace(s, line);
            if (!ins.second)
                CV_Error(Error::StsParseError, cv::format("%s: %s:%d: duplicate id '%s' (first on line %d)", where,
                                                          file.c_str(), line, detail::escapeForMessage(s).c_str(),
                                                          ins.first->second));
            ids.push_back(s);
        }
        if (ids.empty())
            CV_Error(Error::StsParseError, cv::format("%s: %s: no ids", where, file.c_str()));
        return ids;
    });
}

namespace {

void requireUnique(const std::vector<String>& ids, const char* where, const char* what)
{
    std::unordered_set<std::string> seen;
    for (const String& id : ids)
        if (!seen.insert(id).second)
            CV_Error(Error::StsBadArg, cv::format("%s: duplicate id '%s' in %s", where, detail::escapeForMessage(id).c_str(),
                                                  what));
}

} // namespace

std::vector<String> hopLabelSet(const Ptr<ClassHierarchy>& hierarchy, const std::vector<String>& training,
                                const std::vector<String>& universe, int hops, bool pathsWithinUniverse)
{
    const char* where = "hopLabelSet";
    return detail::publicBoundary(where, [&]() {
        if (!hierarchy)
            CV_Error(Error::StsNullPtr, cv::format("%s: null hierarchy", where));
        if (hops < 0)
            CV_Error(Error::StsOutOfRange, cv::format("%s: hops = %d must be >= 0", where, hops));
        requireUnique(training, where, "the training labels");
        requireUnique(universe, where, "the universe");
        const std::vector<int> src = hierarchy->findAll(training, cv::format("%s: training labels", where));
        const std::vector<int> uni = hierarchy->findAll(universe, cv::format("%s: universe", where));
        std::vector<uchar> mask;
        if (pathsWithinUniverse)
        {
            mask.assign(hierarchy->size(), 0);
            for (int v : uni)
                mask[v] = 1;
            for (int v : src)
                mask[v] = 1;
        }
        std::vector<int> dist;
        hierarchy->hopDistances(src, hops, dist, mask);
        std::vector<String> out;
        for (size_t i = 0; i < uni.size(); i++)
            if (dist[uni[i]] > 0)
                out.push_back(universe[i]);
        return out;
    });
}

std::vector<String> labelSetDifference(const std::vector<String>& universe, const std::vector<String>& excluded)
{
    const char* where = "labelSetDifference";
    return detail::publicBoundary(where, [&]() {
        requireUnique(universe, where, "the universe");
        requireUnique(excluded, where, "the excluded labels");
        const std::unordered_set<std::string> ex(excluded.begin(), excluded.end());
        std::vector<String> out;
        for (const String& id : universe)
            if (!ex.count(id))
                out.push_back(id);
        return out;
    });
}

}} // namespace cv::zsl
