// This file is part of the opencv_zsl module (cv::zsl).
#include "precomp.hpp"
#include "opencv2/zsl/open_vocabulary.hpp"

namespace cv {
namespace zsl {

static void checkModel(const Ptr<ZeroShotClassifier>& model, const char* where)
{
    if (!model)
        CV_Error(Error::StsNullPtr, cv::format("%s: null classifier", where));
    if (!model->isTrained())
        CV_Error(Error::StsError, cv::format("%s: the classifier is not trained", where));
}

void predictWords(const Ptr<ZeroShotClassifier>& model, InputArray features, const Ptr<WordVectors>& vocabulary,
                  int k, OutputArray indices, OutputArray similarities)
{
    checkModel(model, "predictWords");
    if (!vocabulary)
        CV_Error(Error::StsNullPtr, "predictWords: null vocabulary");
    Mat emb;
    model->predictAttributes(features, emb);
    if (emb.cols != vocabulary->dims())
        CV_Error(Error::StsBadSize, cv::format("predictWords: the classifier predicts %d-d embeddings but the word vectors "
                                               "are %d-d (train it on prototypes from these word vectors)",
                                               emb.cols, vocabulary->dims()));
    vocabulary->nearestWords(emb, k, indices, similarities);
}

Ptr<GalleryIndex> createSemanticGallery(const Ptr<ZeroShotClassifier>& model, InputArray features,
                                        const std::vector<String>& ids)
{
    checkModel(model, "createSemanticGallery");
    Mat emb;
    model->predictAttributes(features, emb);
    return GalleryIndex::create(emb, ids);
}

void searchByWords(const Ptr<GalleryIndex>& gallery, const Ptr<WordVectors>& vocabulary,
                   const std::vector<String>& labels, int k, OutputArray indices, OutputArray similarities,
                   int oovPolicy, int mode)
{
    if (!gallery || !vocabulary)
        CV_Error(Error::StsNullPtr, "searchByWords: null gallery or vocabulary");
    if (gallery->dims() != vocabulary->dims())
        CV_Error(Error::StsBadSize, cv::format("searchByWords: gallery vectors are %d-d, word vectors %d-d",
                                               gallery->dims(), vocabulary->dims()));
    Mat q;
    vocabulary->lookup(labels, q, oovPolicy);
    gallery->search(q, k, indices, similarities, mode);
}

}} // namespace cv::zsl
