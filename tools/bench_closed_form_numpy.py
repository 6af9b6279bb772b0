#!/usr/bin/python3
"""Closed-form methods against numpy on the same shapes and the same OpenBLAS: ESZSL and SAE training at
AwA2 scale (23,527 x 2,048 features, 40 seen classes, 85 attributes) and computeScores of 100,000 x 2,048
features against 50 classes. Interleaved rounds (one bench_linear process, then the numpy peers in this
process), medians and ratios, with the 1-minute load average of every round.

    /usr/bin/python3 tools/bench_closed_form_numpy.py [--build build] [--rounds 5] [--train 23527] [--score 100000]

Peers (plain numpy, as a user would write them from the papers; float32 data, numpy's own BLAS calls):
  ESZSL: V = solve(X^T X + g I, X^T Y S) @ inv(S^T S + l I)        (Romera-Paredes & Torr 2015)
  SAE:   S S^T W + l W X X^T = (1 + l) S X^T through the eigendecompositions of both sides
         (the Bartels-Stewart solve scipy.linalg.solve_sylvester performs; scipy is not installable here)
  scoring: X @ (V P^T)
Both sides use all cores (OpenBLAS's default). Waits until the 1-minute load average is <= --max-load first.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

from bench_common import wait_idle


def module_round(exe, n, m, d):
    out = subprocess.run([exe, "--train", str(n), "--score", str(m), "--dim", str(d), "--reps", "1", "--eigen-peer", "0", "--networks", "0"],
                         check=True, capture_output=True, text=True).stdout
    times = {}
    for name, kind, t in re.findall(r"^\s+(ESZSL|SAE-semantic|SAE-visual|ALE|DeViSE|SJE)\s+(train|score)\b.*?: ([0-9.]+) s", out, re.M):
        times[f"{name} {kind}"] = float(t)
    peer = re.search(r"peer: bare sgemm .*?: ([0-9.]+) s", out)
    times["sgemm score"] = float(peer.group(1)) if peer else float("nan")
    syrk = re.search(r"ssyrk X\^T X .*?: ([0-9.]+) s", out)
    times["ssyrk"] = float(syrk.group(1)) if syrk else float("nan")
    dsyrk = re.search(r"dsyrk X\^T X .*?: ([0-9.]+) s", out)
    times["dsyrk"] = float(dsyrk.group(1)) if dsyrk else float("nan")
    return times


def timed(f):
    t0 = time.perf_counter()
    r = f()
    return time.perf_counter() - t0, r


def eszsl_numpy(X, y, S, gamma=1.0, lam=1.0):
    """ESZSL's closed form in X's precision (float32 as given; the float64 peer passes X.astype(np.float64))."""
    n, d = X.shape
    Y = -np.ones((n, S.shape[0]), dtype=X.dtype)
    Y[np.arange(n), y] = 1
    S = S.astype(X.dtype)
    left = X.T @ X + gamma * np.eye(d, dtype=X.dtype)
    right = S.T @ S + lam * np.eye(S.shape[1], dtype=X.dtype)
    return np.linalg.solve(left, X.T @ Y @ S) @ np.linalg.inv(right)


def sae_numpy(X, y, S, lam=0.2):
    Ss = S[y].T                                   # A x N per-sample prototypes
    Xt = X.T                                      # D x N
    A = Ss @ Ss.T
    B = lam * (Xt @ Xt.T)
    C = (1 + lam) * (Ss @ Xt.T)
    da, Ua = np.linalg.eigh(A)
    db, Ub = np.linalg.eigh(B)
    W = Ua @ ((Ua.T @ C @ Ub) / (da[:, None] + db[None, :])) @ Ub.T
    return W


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--train", type=int, default=23527)
    ap.add_argument("--score", type=int, default=100000)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--max-load", type=float, default=0.5, help="wait until the 1-minute load average is below this")
    args = ap.parse_args()
    exe = os.path.join(args.build, "bench_linear")
    wait_idle(args.max_load)
    rng = np.random.default_rng(1)
    n, d, m, a, seen = args.train, args.dim, args.score, 85, 40
    X = rng.random((n, d), dtype=np.float32)
    y = np.arange(n) % seen
    S = rng.random((seen, a), dtype=np.float32)
    Xs = rng.random((m, d), dtype=np.float32)
    P = rng.random((50, a), dtype=np.float32)
    mod, npy, loads = {}, {}, []
    for _ in range(args.rounds):
        loads.append(os.getloadavg()[0])
        for k, v in module_round(exe, n, m, d).items():
            mod.setdefault(k, []).append(v)
        t, V = timed(lambda: eszsl_numpy(X, y, S))
        npy.setdefault("ESZSL train", []).append(t)
        # Same precision as the module's statistics (double): the widening counts, as the module's does.
        t, _ = timed(lambda: eszsl_numpy(X.astype(np.float64), y, S))
        npy.setdefault("ESZSL train float64", []).append(t)
        t, _ = timed(lambda: sae_numpy(X, y, S))
        npy.setdefault("SAE train", []).append(t)
        t, _ = timed(lambda: Xs @ (V @ P.T))
        npy.setdefault("score", []).append(t)
    med = {k: statistics.median(v) for k, v in mod.items()}
    mnp = {k: statistics.median(v) for k, v in npy.items()}
    print(f"closed-form methods vs numpy {np.__version__}: train {n} x {d}, {seen} seen classes, A={a}; "
          f"score {m} x {d} vs 50 classes; {args.rounds} interleaved rounds, medians; "
          f"1-minute load average {min(loads):.2f}-{max(loads):.2f} at the rounds' starts")
    print("| task | cv::zsl s | numpy s | cv::zsl time / numpy time |")
    print("|---|---|---|---|")
    rows = [("ESZSL train", "ESZSL train", "ESZSL train"),
            ("ESZSL train vs numpy in float64 (the module's statistics precision)", "ESZSL train", "ESZSL train float64"),
            ("SAE train (semantic direction; same solve for both)", "SAE-semantic train", "SAE train"),
            ("ESZSL computeScores", "ESZSL score", "score"),
            ("SAE computeScores, visual space", "SAE-visual score", "score"),
            ("SAE computeScores, semantic space", "SAE-semantic score", "score"),
            ("ALE computeScores ((X W) P^T)", "ALE score", "score"),
            ("DeViSE computeScores", "DeViSE score", "score"),
            ("SJE computeScores", "SJE score", "score"),
            ("bare sgemm of the scoring shape (bench_linear)", "sgemm score", "score")]
    for label, km, kn in rows:
        if km in med:
            print(f"| {label} | {med[km]:.3f} | {mnp[kn]:.3f} | {med[km] / mnp[kn]:.2f} |")
    if "ESZSL train" in med and med.get("ssyrk", 0) > 0:
        print(f"\nssyrk bound (float X^T X, bench_linear, same rounds): {med['ssyrk']:.3f} s; "
              f"ESZSL train = {med['ESZSL train'] / med['ssyrk']:.2f} x the ssyrk bound")
    if "ESZSL train" in med and med.get("dsyrk", 0) > 0:
        print(f"dsyrk bound (double X^T X, the module's statistics precision): {med['dsyrk']:.3f} s; "
              f"ESZSL train = {med['ESZSL train'] / med['dsyrk']:.2f} x the dsyrk bound; "
              f"numpy float32 ESZSL / dsyrk bound = {mnp['ESZSL train'] / med['dsyrk']:.2f}")


if __name__ == "__main__":
    main()
