#!/usr/bin/env python3
"""Python bindings of cv::zsl (cv2.zsl), end to end.

Runs inside OpenCV's Python test harness (modules/python/test/test.py collects every
modules/<name>/misc/python/test/test_*.py) or on its own:
    PYTHONPATH=<build>/lib/python3 python3 test_zsl.py -v
Needs no data: the problem is synthetic, features are a linear image of the class prototypes.
"""
import os
import shutil
import tempfile
import unittest

import numpy as np
import cv2 as cv

try:  # OpenCV's harness (adds data-path helpers); a plain TestCase elsewhere.
    from tests_common import NewOpenCVTests as TestBase
except ImportError:
    TestBase = unittest.TestCase


def make_params():
    """ZeroShotClassifier::Params: a nested class, cv.zsl.ZeroShotClassifier.Params since OpenCV 4.6
    (older generators flatten it to cv.zsl.ZeroShotClassifier_Params)."""
    cls = getattr(cv.zsl.ZeroShotClassifier, "Params", None) or getattr(cv.zsl, "ZeroShotClassifier_Params")
    return cls()


def synthetic_problem(seed=7, num_seen=20, num_unseen=10, attr_dim=16, feat_dim=32, per_class=30, noise=0.1):
    """Prototypes uniform in [0, 1) (like attribute strengths) and features x = a_y W + noise, the
    C++ tests' synthetic problem; unseen classes never appear in training."""
    rng = np.random.default_rng(seed)
    protos = rng.uniform(0.0, 1.0, (num_seen + num_unseen, attr_dim)).astype(np.float32)
    W = (rng.standard_normal((attr_dim, feat_dim)) / np.sqrt(attr_dim)).astype(np.float32)
    names = ["class_%02d" % i for i in range(num_seen + num_unseen)]

    def sample(first, count):
        y = np.repeat(np.arange(count, dtype=np.int32), per_class)
        x = protos[first + y] @ W + noise * rng.standard_normal((y.size, feat_dim)).astype(np.float32)
        return x.astype(np.float32), y

    train_x, train_y = sample(0, num_seen)
    test_x, test_y = sample(num_seen, num_unseen)
    seen = cv.zsl.ClassPrototypes(names[:num_seen], protos[:num_seen])
    unseen = cv.zsl.ClassPrototypes(names[num_seen:], protos[num_seen:])
    return seen, unseen, train_x, train_y, test_x, test_y


class zsl_test(TestBase):

    def setUp(self):
        if TestBase is not unittest.TestCase:
            super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="zsl_py_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        if TestBase is not unittest.TestCase:
            super().tearDown()

    def assertRaisesCv(self, fn, *args):
        """cv.error from fn(*args). OpenCV 4.6's bindings report an exception thrown by the constructor
        of a simple (CV_EXPORTS_W_SIMPLE) class as a SystemError whose __cause__ is the cv.error."""
        with self.assertRaises((cv.error, SystemError)) as ctx:
            fn(*args)
        err = ctx.exception
        if isinstance(err, SystemError):
            self.assertIsInstance(err.__cause__, cv.error)

    def trained(self, seen, unseen, train_x, train_y):
        params = make_params()
        params.eszslGamma = 1e-2
        params.eszslLambda = 1e-2
        zsl = cv.zsl.ZeroShotClassifier_create(params)
        zsl.train(train_x, train_y, seen)
        zsl.setUnseenClasses(unseen)
        return zsl

    def test_params_and_enums(self):
        p = make_params()
        self.assertEqual(p.method, cv.zsl.ZeroShotClassifier_ESZSL)
        self.assertEqual(list(p.hiddenSizes), [1024])
        p.eszslGamma = 0.25
        p.hiddenSizes = [64, 32]
        p.seed = 12345
        zsl = cv.zsl.ZeroShotClassifier_create(p)
        got = zsl.getParams()
        self.assertEqual(got.method, cv.zsl.ZeroShotClassifier_ESZSL)
        self.assertEqual(got.eszslGamma, 0.25)
        self.assertEqual(list(got.hiddenSizes), [64, 32])
        self.assertEqual(got.seed, 12345)
        self.assertFalse(zsl.isTrained())
        self.assertEqual(cv.zsl.methodName(cv.zsl.ZeroShotClassifier_ESZSL), "ESZSL")
        self.assertEqual(cv.zsl.methodFromName("sae"), cv.zsl.ZeroShotClassifier_SAE)
        self.assertEqual(cv.zsl.ZeroShotClassifier_MODE_GZSL, 1)
        self.assertRaises(cv.error, cv.zsl.methodFromName, "no-such-method")

    def test_prototypes(self):
        cp = cv.zsl.ClassPrototypes(["zebra", "horse", "tiger"],
                                    np.array([[1, 0], [0, 1], [3, 4]], dtype=np.float64))
        self.assertEqual(cp.size(), 3)
        self.assertEqual(cp.dims(), 2)
        self.assertEqual(list(cp.names), ["zebra", "horse", "tiger"])
        self.assertEqual(cp.vectors.dtype, np.float32)
        self.assertEqual(cp.indexOf("tiger"), 2)
        self.assertEqual(cp.indexOf("lion"), -1)
        sub = cp.select(["tiger", "zebra"])
        self.assertEqual(list(sub.names), ["tiger", "zebra"])
        np.testing.assert_allclose(sub.vectors, [[3, 4], [1, 0]])
        l2 = cp.normalized(cv.zsl.PROTOTYPE_NORM_L2)
        np.testing.assert_allclose(l2.vectors[2], [0.6, 0.8], rtol=1e-6)
        self.assertRaises(cv.error, cp.select, ["lion"])
        self.assertRaises(cv.error, cp.subset, [5])
        # Duplicate names and a row-count mismatch are rejected.
        self.assertRaisesCv(cv.zsl.ClassPrototypes, ["a", "a"], np.eye(2, dtype=np.float32))
        self.assertRaisesCv(cv.zsl.ClassPrototypes, ["a"], np.eye(2, dtype=np.float32))

    def test_train_predict_unseen(self):
        seen, unseen, train_x, train_y, test_x, test_y = synthetic_problem()
        zsl = self.trained(seen, unseen, train_x, train_y)
        self.assertTrue(zsl.isTrained())
        self.assertEqual(zsl.getNumSeenClasses(), seen.size())
        self.assertEqual(zsl.getClasses().size(), seen.size() + unseen.size())

        labels, scores = zsl.predict(test_x, topK=3)
        self.assertEqual(labels.shape, (test_x.shape[0], 3))
        self.assertEqual(labels.dtype, np.int32)
        self.assertEqual(scores.dtype, np.float32)
        self.assertTrue(np.all(scores[:, :-1] >= scores[:, 1:]))       # best first
        self.assertTrue(np.all(labels >= seen.size()))                   # ZSL mode: unseen only
        top1 = labels[:, 0] - seen.size()
        acc = cv.zsl.perClassAccuracy(top1, test_y)[0]
        # Chance is 0.1 (10 unseen classes); ESZSL gets 0.80-0.97 on seeds 0-9 of this problem (0.867 here).
        self.assertGreater(acc, 0.75, "unseen per-class accuracy %.3f" % acc)

        all_scores = zsl.computeScores(test_x)
        self.assertEqual(all_scores.shape, (test_x.shape[0], seen.size() + unseen.size()))
        np.testing.assert_allclose(np.take_along_axis(all_scores, labels, axis=1), scores, rtol=1e-5, atol=1e-6)
        attrs = zsl.predictAttributes(test_x)
        self.assertEqual(attrs.shape, (test_x.shape[0], seen.dims()))

    def test_save_load_roundtrip(self):
        seen, unseen, train_x, train_y, test_x, _ = synthetic_problem(seed=3)
        zsl = self.trained(seen, unseen, train_x, train_y)
        path = os.path.join(self.tmp, "model.yml.gz")
        zsl.save(path)
        back = cv.zsl.ZeroShotClassifier_load(path)
        np.testing.assert_allclose(back.computeScores(test_x), zsl.computeScores(test_x), rtol=1e-5, atol=1e-5)
        self.assertEqual(list(back.getClasses().names), list(zsl.getClasses().names))
        self.assertRaises(cv.error, cv.zsl.ZeroShotClassifier_load, os.path.join(self.tmp, "missing.yml"))

    def test_bad_input_raises(self):
        seen, unseen, train_x, train_y, test_x, _ = synthetic_problem(seed=5)
        untrained = cv.zsl.ZeroShotClassifier_create()
        self.assertRaises(cv.error, untrained.predict, test_x)
        zsl = self.trained(seen, unseen, train_x, train_y)
        self.assertRaises(cv.error, zsl.predict, test_x[:, :5])           # wrong feature dimension
        bad = train_x.copy()
        bad[0, 0] = np.nan
        self.assertRaises(cv.error, cv.zsl.ZeroShotClassifier_create().train, bad, train_y, seen)
        self.assertRaises(cv.error, zsl.addClass, "class_00", np.zeros((1, seen.dims()), np.float32))

    def test_metrics(self):
        truth = np.array([0, 0, 1, 1, 1, 2], np.int32)
        pred = np.array([0, 1, 1, 1, 0, 2], np.int32)
        acc, per_class = cv.zsl.perClassAccuracy(pred, truth)
        self.assertAlmostEqual(acc, (0.5 + 2.0 / 3.0 + 1.0) / 3.0)
        np.testing.assert_allclose(np.ravel(per_class), [0.5, 2.0 / 3.0, 1.0])
        top2 = np.array([[0, 1], [1, 0], [1, 2], [2, 0], [0, 1], [2, 1]], np.int32)
        self.assertAlmostEqual(cv.zsl.hitAtK(top2, truth, 1), 3.0 / 6.0)
        self.assertAlmostEqual(cv.zsl.hitAtK(top2, truth, 2), 5.0 / 6.0)
        self.assertAlmostEqual(cv.zsl.harmonicMean(0.5, 0.25), 1.0 / 3.0)
        g = cv.zsl.evaluateGzsl(pred, truth, [1, 1, 0])
        self.assertAlmostEqual(g.unseen, 1.0)
        self.assertAlmostEqual(g.harmonic, cv.zsl.harmonicMean(g.seen, g.unseen))
        conf = cv.zsl.confusionMatrix(pred, truth, 3)
        np.testing.assert_array_equal(conf, [[1, 1, 0], [1, 2, 0], [0, 0, 1]])


if __name__ == "__main__":
    if TestBase is not unittest.TestCase:
        TestBase.bootstrap()
    else:
        unittest.main()
