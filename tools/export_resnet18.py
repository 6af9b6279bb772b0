#!/usr/bin/python3
# This file is part of the opencv_zsl module (cv::zsl).
"""Reference models and features for the visual encoder tests (modules/zsl/test/test_visual_encoder.cpp).

Usage (Debian python3-torch, python3-torchvision, python3-onnx, python3-opencv, python3-pil):
    /usr/bin/python3 tools/export_resnet18.py --out build/models

Writes into --out:
  resnet18.onnx            torchvision.models.resnet18(), random weights (fixed seed), exported with
                           torch.onnx.export exactly as a user would (opset 11, dynamic batch axis).
                           BatchNorm weight/bias/running stats are randomised: left at their defaults,
                           the exporter folds them into Identity nodes that OpenCV 4.6 cannot import.
  images/img<i>.png        raw test images (lossless), various sizes and aspect ratios
  reference.yml.gz         cv::FileStorage: for every image the torchvision-preprocessed tensor
                           (Resize(256) + CenterCrop(224) on a uint8 tensor, antialias off, ToTensor-style
                           /255, Normalize), PyTorch's pooled 512-d feature (model.avgpool output, flattened,
                           eval mode), the PIL-path feature for comparison, and the logits.
  tiny.cfg, tiny.weights   Darknet "tiny darknet" ImageNet classifier from Debian's darknet package with
                           random weights (only if /usr/share/darknet/cfg/tiny.cfg exists).
The script is deterministic (fixed seeds); it is run by CMake (target zsl_models) and by .ci/run.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image
import cv2

SEED = 20261123
OPSET = 11
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def make_model():
    torch.manual_seed(SEED)
    model = torchvision.models.resnet18()  # random init, no download
    g = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                # Keep activations O(1) through 18 layers so that the relative comparison is meaningful.
                m.weight.copy_(0.5 + torch.rand(n, generator=g))
                m.bias.copy_(0.2 * torch.randn(n, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                m.running_var.copy_(0.5 + torch.rand(n, generator=g))
    model.eval()
    return model


def make_images():
    """Deterministic synthetic images: smooth gradients, shapes, texture; several sizes (down- and up-scaling,
    odd crop margins, portrait and landscape)."""
    rng = np.random.RandomState(SEED)
    sizes = [(375, 500), (480, 360), (240, 320), (181, 263), (150, 100)]  # (rows, cols)
    images = []
    for i, (h, w) in enumerate(sizes):
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        img = np.zeros((h, w, 3), np.float32)
        img[..., 0] = 128 + 100 * np.sin(xx / (7.0 + 3 * i)) * np.cos(yy / 11.0)
        img[..., 1] = 255.0 * xx / w
        img[..., 2] = 255.0 * yy / h
        img += rng.normal(0, 12, img.shape)
        img = np.clip(img, 0, 255).astype(np.uint8)
        cv2.circle(img, (w // 3, h // 2), min(h, w) // 4, (20, 200, 240), -1)
        cv2.rectangle(img, (w // 2, h // 5), (w - 10, h // 2), (250, 30, 60), -1)
        images.append(img)  # BGR, as cv::imread gives it
    return images


def torchvision_tensor_path(bgr):
    """torchvision Resize(256) + CenterCrop(224) on a uint8 CHW tensor (what the C++ preset reproduces),
    then ToTensor's /255 and Normalize."""
    rgb = torch.from_numpy(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).permute(2, 0, 1).contiguous()
    x = TF.resize(rgb, 256, interpolation=T.InterpolationMode.BILINEAR, antialias=False)
    x = TF.center_crop(x, 224)
    x = x.float() / 255.0
    return TF.normalize(x, MEAN, STD)


def torchvision_pil_path(bgr):
    """The usual user pipeline on a PIL image (PIL's bilinear antialiases when downscaling)."""
    pil = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    return tf(pil)


def pooled_features(model, batch):
    feats = {}
    hook = model.avgpool.register_forward_hook(lambda m, i, o: feats.setdefault("f", torch.flatten(o, 1)))
    with torch.no_grad():
        logits = model(batch)
    hook.remove()
    return feats["f"].numpy(), logits.numpy()


def write_darknet_tiny(out):
    cfg_src = "/usr/share/darknet/cfg/tiny.cfg"
    if not os.path.exists(cfg_src):
        print("darknet tiny.cfg not found (Debian package 'darknet'); skipping the Darknet model")
        return
    text = open(cfg_src).read()
    # One image per forward pass in test mode.
    text = text.replace("batch=128", "batch=1")
    open(os.path.join(out, "tiny.cfg"), "w").write(text)
    rng = np.random.RandomState(SEED + 2)
    channels, blobs = 3, []
    section, opts = None, {}

    def flush():
        nonlocal channels
        if section == "convolutional":
            f, k = int(opts["filters"]), int(opts["size"])
            bn = int(opts.get("batch_normalize", "0"))
            blobs.append(0.1 * rng.randn(f))                       # biases
            if bn:
                blobs.append(0.5 + rng.rand(f))                    # scales
                blobs.append(0.1 * rng.randn(f))                   # rolling mean
                blobs.append(0.5 + rng.rand(f))                    # rolling variance
            blobs.append(rng.randn(f * channels * k * k) * np.sqrt(2.0 / (channels * k * k)))
            channels = f

    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("["):
            flush()
            section, opts = line.strip("[]"), {}
        else:
            key, _, value = line.partition("=")
            opts[key.strip()] = value.strip()
    flush()
    with open(os.path.join(out, "tiny.weights"), "wb") as f:
        np.array([0, 2, 0], np.int32).tofile(f)   # major, minor, revision
        np.array([0], np.int64).tofile(f)         # images seen (size_t since 0.2)
        for b in blobs:
            b.astype(np.float32).tofile(f)
    print("wrote tiny.cfg / tiny.weights")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/models", help="output folder (created)")
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    args = ap.parse_args()
    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)
    torch.set_num_threads(args.threads)

    model = make_model()
    onnx_path = os.path.join(args.out, "resnet18.onnx")
    tmp = onnx_path + ".tmp"
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), tmp, opset_version=OPSET,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    import onnx
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, onnx_path)
    print("wrote", onnx_path)

    images = make_images()
    tensors = torch.stack([torchvision_tensor_path(im) for im in images])
    pil_tensors = torch.stack([torchvision_pil_path(im) for im in images])
    feats, logits = pooled_features(model, tensors)
    pil_feats, _ = pooled_features(model, pil_tensors)

    fs_path = os.path.join(args.out, "reference.yml.gz")
    fs = cv2.FileStorage(fs_path + ".tmp.yml.gz", cv2.FILE_STORAGE_WRITE)
    fs.write("seed", SEED)
    fs.write("opset", OPSET)
    fs.write("torch_version", torch.__version__)
    fs.write("torchvision_version", torchvision.__version__)
    fs.write("count", len(images))
    fs.write("features", feats.astype(np.float32))         # N x 512, tensor path
    fs.write("features_pil", pil_feats.astype(np.float32)) # N x 512, PIL path
    fs.write("logits", logits.astype(np.float32))          # N x 1000
    for i, im in enumerate(images):
        name = "img%d.png" % i
        cv2.imwrite(os.path.join(args.out, "images", name), im)
        fs.write("image%d" % i, "images/" + name)
        # 3 x 224 x 224 stored as (3*224) x 224 rows to stay a plain 2-D matrix.
        fs.write("tensor%d" % i, tensors[i].numpy().reshape(3 * 224, 224).astype(np.float32))
    fs.release()
    os.replace(fs_path + ".tmp.yml.gz", fs_path)
    rel = np.abs(feats - pil_feats).max() / np.abs(feats).max()
    print("wrote %s (%d images); PIL-path vs tensor-path features: max rel diff %.3g" % (fs_path, len(images), rel))

    write_darknet_tiny(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
