#!/usr/bin/python3
"""Trains the Fashion-MNIST backbone of one seen/unseen split and exports it to ONNX for cv::dnn.

The network is a ResNet18 *topology* (BasicBlock, [2, 2, 2, 2] blocks) at a quarter of the width
(16/32/64/128 channels instead of 64/128/256/512), with a 3x3 stride-2 stem for 32x32 inputs (16x16 maps in layer1: a quarter of the CIFAR-style cost); it is named
"resnet18w16" accordingly, never "ResNet18". Images are the 28x28 grey Fashion-MNIST digits padded to
32x32 and replicated to 3 channels, so the model follows the usual 3-channel cv::dnn path.

Zero-shot hygiene: only train images of the split's *seen* classes whose index i satisfies
i % 10 != 0 reach the network; i % 10 == 0 images are the seen-class validation set, and no image
of an unseen class is ever read into the training loop.

Run with the Debian interpreter (python3-torch, python3-torchvision, python3-opencv), e.g.
    nice -n 10 /usr/bin/python3 tools/train_fashion_backbone.py --split split1 \
        --out data/fashion_mnist/backbone_split1.onnx
It prints the supervised top-1 on the *test* images of the seen classes and checks that OpenCV's
cv2.dnn reads the ONNX graph and reproduces PyTorch's logits.
"""
import argparse
import csv
import gzip
import hashlib
import json
import os
import random
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST pixel statistics (x / 255); the C++ side uses the same numbers


def read_idx(path):
    """Reads a (gzipped) idx file: uint8 images N x 28 x 28 or labels N."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic == 2051:
        n, r, c = struct.unpack(">III", data[4:16])
        return np.frombuffer(data, np.uint8, n * r * c, 16).reshape(n, r, c)
    if magic == 2049:
        n = struct.unpack(">I", data[4:8])[0]
        return np.frombuffer(data, np.uint8, n, 8)
    raise ValueError("%s: not an idx image/label file (magic %d)" % (path, magic))


def load_split(name):
    with open(os.path.join(REPO, "data/fashion_mnist/splits.json")) as f:
        spec = json.load(f)
    classes = spec["classes"]
    for s in spec["splits"]:
        if s["name"] == name:
            unseen = [classes.index(c) for c in s["unseen"]]
            seen = [i for i in range(len(classes)) if i not in unseen]
            return classes, seen, unseen
    raise SystemExit("unknown split %s (see data/fashion_mnist/splits.json)" % name)


def read_attribute_table():
    """data/fashion_mnist/attributes.csv as (attribute names, {class name: attribute vector})."""
    with open(os.path.join(REPO, "data/fashion_mnist/attributes.csv")) as f:
        rows = list(csv.reader(f))
    return rows[0][1:], {r[0]: [float(v) for v in r[1:]] for r in rows[1:]}


def check_attribute_coverage(classes, seen, unseen):
    """Every attribute an unseen class has must be present in some seen class, or no model can learn it."""
    names, table = read_attribute_table()
    for u in unseen:
        missing = [names[j] for j, v in enumerate(table[classes[u]])
                   if v > 0 and all(table[classes[s]][j] == 0 for s in seen)]
        if missing:
            raise SystemExit("unseen class %s has attributes no seen class has: %s" % (classes[u], missing))


def seen_attributes(classes, seen):
    """Attribute vectors of the seen classes (rows in network output order) as a float tensor."""
    _, table = read_attribute_table()
    return torch.tensor([table[classes[c]] for c in seen], dtype=torch.float32)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet18Narrow(nn.Module):
    """ResNet18 topology (BasicBlock x [2,2,2,2]) with widths w, 2w, 4w, 8w and a 3x3 stride-`stem_stride` stem."""

    def __init__(self, num_classes, width=16, stem_stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, stem_stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        layers, cin = [], width
        for i, w in enumerate([width, 2 * width, 4 * width, 8 * width]):
            layers.append(nn.Sequential(BasicBlock(cin, w, 1 if i == 0 else 2), BasicBlock(w, w, 1)))
            cin = w
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # exported as GlobalAveragePool: the feature layer
        self.fc = nn.Linear(cin, num_classes)

    def features(self, x):
        """The pooled feature (what cv::zsl::VisualEncoder reads)."""
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x):
        return self.fc(self.features(x))


def to_tensor(images):
    """uint8 N x 28 x 28 -> float N x 3 x 32 x 32, padded with zeros (the background) and normalised."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    x = F.pad(x, (2, 2, 2, 2))
    x = (x - MEAN) / STD
    return x.unsqueeze(1).expand(-1, 3, -1, -1).contiguous()


def augment(x, gen):
    """Random horizontal flip and a +-2 pixel shift (clothes are left/right symmetric; digits are centred)."""
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    dx, dy = [int(v) for v in torch.randint(-2, 3, (2,), generator=gen)]
    bg = -MEAN / STD
    return F.pad(x, (2, 2, 2, 2), value=bg)[:, :, 2 + dy:34 + dy, 2 + dx:34 + dx]


def evaluate(model, x, y, batch=500):
    model.eval()
    correct = np.zeros(int(y.max()) + 1)
    count = np.zeros_like(correct)
    with torch.no_grad():
        for i in range(0, len(x), batch):
            pred = model(x[i:i + batch]).argmax(1)
            for t, p in zip(y[i:i + batch].tolist(), pred.tolist()):
                count[t] += 1
                correct[t] += t == p
    present = count > 0
    return float((correct[present] / count[present]).mean()), float(correct.sum() / count.sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", required=True)
    ap.add_argument("--out", required=True, help="ONNX file to write")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--stem-stride", type=int, default=2)
    ap.add_argument("--max-train", type=int, default=14000,
                    help="use at most this many training images, drawn with the seed (0: all); keeps CPU training short")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: no OpenMP spinning on a busy shared machine)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--attribute-weight", type=float, default=0.0,
                    help="weight of an auxiliary loss: a linear head (not exported) regresses the *seen* class's attribute "
                         "vector from the pooled feature (mean squared error), so that the feature's geometry follows the "
                         "attributes and not only the 7 class labels; 0: cross-entropy only (the committed backbones)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)
    torch.use_deterministic_algorithms(True)

    classes, seen, unseen = load_split(args.split)
    check_attribute_coverage(classes, seen, unseen)
    print("split %s: seen %s, unseen %s" % (args.split, [classes[i] for i in seen], [classes[i] for i in unseen]))

    xtr = read_idx(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz"))
    ytr = read_idx(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz"))
    xte = read_idx(os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz"))
    yte = read_idx(os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz"))

    remap = {c: i for i, c in enumerate(seen)}  # network outputs index the seen classes in dataset order
    idx = np.arange(len(ytr))
    keep = np.isin(ytr, seen) & (idx % 10 != 0)
    train_idx = idx[keep]
    if args.max_train and len(train_idx) > args.max_train:
        train_idx = np.sort(np.random.RandomState(args.seed).choice(train_idx, args.max_train, replace=False))
    assert not np.isin(ytr[train_idx], unseen).any()
    x = to_tensor(xtr[train_idx])
    y = torch.tensor([remap[int(c)] for c in ytr[train_idx]])
    val = np.isin(ytr, seen) & (idx % 10 == 0)
    xval, yval = to_tensor(xtr[val]), torch.tensor([remap[int(c)] for c in ytr[val]])
    test = np.isin(yte, seen)
    xtest, ytest = to_tensor(xte[test]), torch.tensor([remap[int(c)] for c in yte[test]])
    print("train %d, seen validation %d, seen test %d images" % (len(x), len(xval), len(xtest)))

    model = ResNet18Narrow(len(seen), args.width, args.stem_stride)
    params = list(model.parameters())
    attribute_head = None
    if args.attribute_weight > 0:
        table = seen_attributes(classes, seen)  # seen classes only, in network output order
        attribute_head = nn.Linear(model.fc.in_features, table.shape[1])
        params += list(attribute_head.parameters())
    opt = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps = args.epochs * ((len(x) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=steps, pct_start=0.2)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        total, n = 0.0, 0
        for b in range(0, len(x), args.batch):
            sel = perm[b:b + args.batch]
            if attribute_head is None:
                loss = F.cross_entropy(model(augment(x[sel], gen)), y[sel])
            else:
                f = model.features(augment(x[sel], gen))
                loss = F.cross_entropy(model.fc(f), y[sel]) + \
                    args.attribute_weight * F.mse_loss(attribute_head(f), table[y[sel]])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(sel)
            n += len(sel)
            if (b // args.batch) % 20 == 0:
                print("  epoch %d: %d/%d images, loss %.4f (%.0f s)" % (epoch + 1, n, len(x), total / n, time.time() - t0),
                      flush=True)
        print("epoch %d/%d loss %.4f (%.0f s)" % (epoch + 1, args.epochs, total / n, time.time() - t0), flush=True)
    vpc, vacc = evaluate(model, xval, yval)
    print("seen-class validation: per-class top-1 %.4f" % vpc)
    tpc, tacc = evaluate(model, xtest, ytest)
    print("seen-class test: per-class top-1 %.4f, overall %.4f (%d images, %d classes)" % (tpc, tacc, len(xtest), len(seen)))

    model.eval()
    dummy = xtest[:2]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    torch.onnx.export(model, dummy, tmp, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=11,
                      do_constant_folding=True)
    os.replace(tmp, args.out)

    # cv::dnn must read the graph and give PyTorch's logits.
    import cv2
    net = cv2.dnn.readNetFromONNX(args.out)
    probe = xtest[:8].numpy()
    net.setInput(probe)
    ocv = net.forward()
    with torch.no_grad():
        ref = model(xtest[:8]).numpy()
    err = float(np.abs(ocv - ref).max())
    print("cv2 %s reads the ONNX graph; max |logit difference| vs PyTorch = %.2e" % (cv2.__version__, err))
    if err > 1e-3:
        raise SystemExit("OpenCV and PyTorch disagree")
    with open(args.out, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print("wrote %s (%d bytes) sha256 %s" % (args.out, os.path.getsize(args.out), digest))
    summary = {"split": args.split, "seen_test_per_class_top1": tpc, "seen_test_overall_top1": tacc,
               "seen_val_per_class_top1": vpc, "epochs": args.epochs, "train_images": len(x),
               "train_seconds": round(time.time() - t0), "sha256": digest}
    if args.attribute_weight > 0:
        summary["attribute_weight"] = args.attribute_weight
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
