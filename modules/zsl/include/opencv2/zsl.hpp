// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_HPP
#define OPENCV_ZSL_HPP

/**
@defgroup zsl Zero-shot learning

Recognise image classes that were never seen in training. A ZeroShotClassifier maps visual
features (from a cv::dnn backbone, see VisualEncoder) into a semantic space described by class
prototypes (attribute vectors or word vectors, see ClassPrototypes) with a trainable
compatibility function (ESZSL, SAE, DeViSE, ALE/SJE, MLP, ConSE, a generative model), and labels
images of unseen classes from their prototypes alone.
*/

#include "opencv2/zsl/prototypes.hpp"
#include "opencv2/zsl/metrics.hpp"
#include "opencv2/zsl/visual_encoder.hpp"
#include "opencv2/zsl/zero_shot_classifier.hpp"
#include "opencv2/zsl/mat_file.hpp"
#include "opencv2/zsl/gbu_dataset.hpp"
#include "opencv2/zsl/model_selection.hpp"
#include "opencv2/zsl/conse.hpp"
#include "opencv2/zsl/class_hierarchy.hpp"
#include "opencv2/zsl/synset_prototypes.hpp"

#include "opencv2/zsl/word_vectors.hpp"
#include "opencv2/zsl/gallery_index.hpp"
#include "opencv2/zsl/open_vocabulary.hpp"
#include "opencv2/zsl/atomic_file.hpp"
#include "opencv2/zsl/input_limits.hpp"
#include "opencv2/zsl/training_statistics.hpp"
#include "opencv2/zsl/sharding.hpp"

#endif
