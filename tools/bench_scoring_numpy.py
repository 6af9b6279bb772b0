#!/usr/bin/python3
"""Scoring benchmark: cv::zsl computeScores (ESZSL, SAE) against numpy's X @ (V P^T) on the same
shape, interleaved rounds, medians and ratios, with the 1-minute load average of every round.

    /usr/bin/python3 tools/bench_scoring_numpy.py [--build build] [--rounds 5] [--score 100000] [--dim 2048]

The module's figure comes from perf/bench_linear (one process per round, best of --reps inside it is
not used: --reps 1), numpy's from this process (OpenBLAS under numpy, same thread count: both use
all cores by default). Waits until the 1-minute load average is <= 0.5 before starting.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np


def wait_idle(limit=0.5, timeout=900):
    start = time.time()
    while os.getloadavg()[0] > limit:
        if time.time() - start > timeout:
            print(f"warning: load average still {os.getloadavg()[0]:.2f} after {timeout} s", file=sys.stderr)
            return
        time.sleep(10)


def module_round(exe, m, d):
    out = subprocess.run([exe, "--train", "4000", "--score", str(m), "--dim", str(d), "--reps", "1"],
                         check=True, capture_output=True, text=True).stdout
    times = {}
    for name, t in re.findall(r"^\s+(ESZSL|SAE-semantic|SAE-visual)\s+score .*?: ([0-9.]+) s", out, re.M):
        times[name] = float(t)
    peer = re.search(r"peer: bare sgemm .*?: ([0-9.]+) s", out)
    times["sgemm"] = float(peer.group(1)) if peer else float("nan")
    return times


def numpy_round(m, d, c, rng):
    X = rng.random((m, d), dtype=np.float32)
    V = rng.standard_normal((d, 85), dtype=np.float32)
    P = rng.random((c, 85), dtype=np.float32)
    t0 = time.perf_counter()
    S = X @ (V @ P.T)
    t = time.perf_counter() - t0
    assert S.shape == (m, c)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--score", type=int, default=100000)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--max-load", type=float, default=0.5, help="wait until the 1-minute load average is below this")
    args = ap.parse_args()
    exe = os.path.join(args.build, "bench_linear")
    wait_idle(args.max_load)
    rng = np.random.default_rng(1)
    mod, npy, loads = {}, [], []
    for r in range(args.rounds):
        loads.append(os.getloadavg()[0])
        for k, v in module_round(exe, args.score, args.dim).items():
            mod.setdefault(k, []).append(v)
        npy.append(numpy_round(args.score, args.dim, 50, rng))
    med_np = statistics.median(npy)
    print(f"scoring {args.score} x {args.dim} vs 50 classes, {args.rounds} interleaved rounds, "
          f"load average {min(loads):.2f}-{max(loads):.2f}, numpy {np.__version__}")
    print("| implementation | median s | numpy / this |")
    print("|---|---|---|")
    print(f"| numpy X @ (V P^T) (peer) | {med_np:.3f} | 1.00 |")
    for k in ("ESZSL", "SAE-visual", "SAE-semantic", "sgemm"):
        if k in mod:
            med = statistics.median(mod[k])
            label = "bare sgemm (bench_linear)" if k == "sgemm" else f"cv::zsl computeScores {k}"
            print(f"| {label} | {med:.3f} | {med_np / med:.2f} |")


if __name__ == "__main__":
    main()
