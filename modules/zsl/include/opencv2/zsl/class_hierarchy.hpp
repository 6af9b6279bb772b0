// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_CLASS_HIERARCHY_HPP
#define OPENCV_ZSL_CLASS_HIERARCHY_HPP

#include <opencv2/core.hpp>

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief A class hierarchy: a directed acyclic "is-a" graph of named classes (WordNet's noun hypernym
graph, ImageNet's synsets, or any hand-built taxonomy).

Nodes are numbered 0..size()-1 and carry an id (for WordNet: the ImageNet wnid, "n" + the 8-digit noun
offset, e.g. "n02084071" for dog), names (a synset's lemmas, underscores for spaces: "domestic_dog") and a
gloss. Edges go from a node to its parents (WordNet: hypernym "@" and instance-hypernym "@i" pointers);
a node may have several parents. Hop distances count edges of the undirected graph (parent and child are
1 hop apart, siblings 2), the "tree hops" of DeViSE (Frome et al., NIPS 2013) and ConSE (Norouzi et al.,
ICLR 2014), whose ImageNet label sets and hierarchical precision@k (see hierarchicalPrecisionAtK()) are
defined with them.

@code
    Ptr<cv::zsl::ClassHierarchy> wn = cv::zsl::ClassHierarchy::loadWordNet("/usr/share/wordnet/data.noun");
    int dog = wn->find("n02084071");
    std::vector<int> path = wn->pathToRoot(dog);      // dog, canine, carnivore, ..., entity
    std::cout << wn->getNames(dog)[0] << ": " << wn->getGloss(dog) << "\n";
@endcode

Thread safety: an instance is immutable once created; every method is const and may be called from any
number of threads at once.
*/
class CV_EXPORTS_W ClassHierarchy
{
public:
    virtual ~ClassHierarchy();

    /** @brief Reads the WordNet 3.0 noun database (`data.noun`, Debian package wordnet-base:
    /usr/share/wordnet/data.noun).

    Every synset line is checked: its byte offset must equal its first field (WordNet's own index), the
    word and pointer counts must match the fields present, pointers must be well formed and every noun
    hypernym pointer must name a synset of the file. The file is read through the module's bounded reader
    (regular files only, at most INPUT_LIMIT_TEXT_BYTES).
    @throws cv::Exception naming the file and line on a missing, truncated or corrupt file, or on a cycle.
    */
    CV_WRAP static Ptr<ClassHierarchy> loadWordNet(const String& dataNounPath);

    /** @brief Builds a hierarchy from an edge list.
    @param ids unique, non-empty node ids (no whitespace).
    @param childIds, parentIds edges child -> parent (same length; ids from `ids`; duplicates are merged).
    @param names optional: empty, or one display name per id (stored as the node's only name).
    @throws cv::Exception on duplicate or unknown ids, a self-loop or a cycle (naming a node of it).
    */
    CV_WRAP static Ptr<ClassHierarchy> create(const std::vector<String>& ids, const std::vector<String>& childIds,
                                              const std::vector<String>& parentIds,
                                              const std::vector<String>& names = std::vector<String>());

    //! Number of nodes.
    CV_WRAP virtual int size() const = 0;
    //! Node of `id`, or -1.
    CV_WRAP virtual int indexOf(const String& id) const = 0;
    //! Node of `id`. @throws cv::Exception naming the id when it is unknown.
    CV_WRAP virtual int find(const String& id) const = 0;
    /** @brief Nodes of `ids`, in order.
    @throws cv::Exception listing the unknown ids (the first 10 and how many), prefixed by `what`. */
    CV_WRAP virtual std::vector<int> findAll(const std::vector<String>& ids, const String& what = String()) const = 0;
    //! Id of a node. @throws cv::Exception when `node` is out of range (as every method taking a node).
    CV_WRAP virtual String getId(int node) const = 0;
    //! Names of a node (WordNet: the lemmas, underscores for spaces, in file order).
    CV_WRAP virtual std::vector<String> getNames(int node) const = 0;
    //! Gloss of a node (WordNet: the definition and examples; empty for create()).
    CV_WRAP virtual String getGloss(int node) const = 0;
    //! Parents of a node (ascending node order).
    CV_WRAP virtual std::vector<int> getParents(int node) const = 0;
    //! Children of a node (ascending node order).
    CV_WRAP virtual std::vector<int> getChildren(int node) const = 0;
    //! Nodes without parents (WordNet: "entity").
    CV_WRAP virtual std::vector<int> getRoots() const = 0;

    /** @brief A shortest path from `node` up to a root, `node` first, the root last.
    Among equally short paths the one through lower-numbered parents is chosen (deterministic). */
    CV_WRAP virtual std::vector<int> pathToRoot(int node) const = 0;

    /** @brief Undirected hop distance between two nodes (0 for a == b), or -1 when they are not connected. */
    CV_WRAP virtual int hopDistance(int a, int b) const = 0;

    /** @brief Distance of every node to the nearest of `sources` (multi-source breadth-first search over
    the undirected graph), -1 beyond `maxHops` or when unreachable.
    @param sources start nodes (distance 0).
    @param maxHops largest distance explored (>= 0).
    @param distances output: size() entries.
    @param throughNodes optional mask of size() entries: when given, paths may only pass through (and end
    at) nodes whose entry is non-zero; sources must be among them.
    */
    CV_WRAP virtual void hopDistances(const std::vector<int>& sources, int maxHops, CV_OUT std::vector<int>& distances,
                                      const std::vector<uchar>& throughNodes = std::vector<uchar>()) const = 0;

    //! Whether `ancestor` is `node` or one of its (transitive) parents.
    CV_WRAP virtual bool isAncestor(int ancestor, int node) const = 0;
};

/** @brief Reads a list of class ids, one per line (e.g. darknet's `imagenet.labels.list`, 21,842 wnids
of ImageNet-21K whose first 1,000 are the ILSVRC-2012 classes). Blank lines and surrounding whitespace
are ignored; a '#' starts a comment.
@throws cv::Exception naming the file and line of a duplicate id, an id holding whitespace, or an empty list.
*/
CV_EXPORTS_W std::vector<String> readClassIdList(const String& path);

/** @brief The labels of `universe` within `hops` tree hops of a `training` label, training labels excluded:
the "2-hop" (hops = 2) and "3-hop" (hops = 3) test sets of DeViSE / ConSE when `universe` is ImageNet-21K
and `training` the ILSVRC-2012 classes. Distances as ClassHierarchy::hopDistances.
@param hierarchy the hierarchy (WordNet).
@param training ids of the training labels.
@param universe ids of the candidate labels (training labels in it are skipped); order kept in the result.
@param hops radius (>= 0; 0 gives an empty set).
@param pathsWithinUniverse when true, paths may only pass through labels of `universe` (the hierarchy
induced on the 21K synsets) instead of the whole hierarchy.
@throws cv::Exception on unknown or duplicate ids (naming them) or hops < 0.
*/
CV_EXPORTS_W std::vector<String> hopLabelSet(const Ptr<ClassHierarchy>& hierarchy, const std::vector<String>& training,
                                             const std::vector<String>& universe, int hops,
                                             bool pathsWithinUniverse = false);

/** @brief `universe` minus `excluded`, order kept (the "21K" set: ImageNet-21K minus the 1K training labels).
@throws cv::Exception on duplicate ids in either list (naming them). */
CV_EXPORTS_W std::vector<String> labelSetDifference(const std::vector<String>& universe,
                                                    const std::vector<String>& excluded);

//! @}

}} // namespace cv::zsl

#endif
