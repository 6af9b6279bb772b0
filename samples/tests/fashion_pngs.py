#!/usr/bin/env python3
"""Writes the first N Fashion-MNIST test images as 28x28 grey PNGs, one folder per class name
(tests of the samples; pure Python: gzip + zlib, no OpenCV binding needed).
Usage: fashion_pngs.py <fashion-mnist dir> <out dir> <per-class> [class,class,...]"""
import gzip, os, struct, sys, zlib

NAMES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

def png(path, w, h, pixels):
    raw = b"".join(b"\0" + pixels[y * w:(y + 1) * w] for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

def main():
    src, out, per = sys.argv[1], sys.argv[2], int(sys.argv[3])
    wanted = sys.argv[4].split(",") if len(sys.argv) > 4 else NAMES
    imgs = gzip.open(os.path.join(src, "t10k-images-idx3-ubyte.gz")).read()[16:]
    labels = gzip.open(os.path.join(src, "t10k-labels-idx1-ubyte.gz")).read()[8:]
    count = {}
    for i, l in enumerate(labels):
        name = NAMES[l]
        if name not in wanted or count.get(name, 0) >= per:
            continue
        count[name] = count.get(name, 0) + 1
        os.makedirs(os.path.join(out, name), exist_ok=True)
        png(os.path.join(out, name, "%05d.png" % i), 28, 28, imgs[i * 784:(i + 1) * 784])

main()
