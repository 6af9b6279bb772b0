#!/usr/bin/python3
"""Approximate search: cv::zsl GalleryIndex (FLANN kd-trees, HNSW) against hnswlib's and FAISS's HNSW on the
same embedding-like vectors and the same exact top-10, interleaved rounds, medians; recall@10 vs ms/query.

    /usr/bin/python3 tools/bench_ann.py [--build build] [--rows 200000] [--dim 300] [--queries 1000] [--rounds 2]

Round r: perf/bench_ann (writes the normalised gallery, the queries and the exact top-10 in round 1 and
reuses them after), then hnswlib (python3-hnswlib), then FAISS IndexHNSWFlat (python3-faiss), each
building its index and sweeping its search knob. All HNSW use M=16, efConstruction=200 (--efc) on inner products
of the normalised vectors. Builds: cv::zsl's HNSW inserts on one thread (deterministic graph); the
peers are measured on one thread too (same work), and the table says so. Searches use every core.
Each implementation then saves its index and loads it back (median of 3 loads; hnswlib's and FAISS's
readers trust the file, the module's checks every link). Waits until the 1-minute load average is
<= --max-load, and prints the load of every round.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import tempfile

import numpy as np

from bench_common import wait_idle

EFS = [10, 16, 32, 64, 128, 256, 512]


def recall(found, exact):
    k = exact.shape[1]
    return float(np.mean([len(set(f[:k]) & set(e)) / k for f, e in zip(found, exact)]))


def timed_search(search, q, exact):
    batch = []
    for _ in range(3):
        t0 = time.perf_counter()
        idx = search(q)
        batch.append((time.perf_counter() - t0) * 1e3 / len(q))
    single = []
    for i in range(min(len(q), 200)):
        t0 = time.perf_counter()
        search(q[i:i + 1])
        single.append((time.perf_counter() - t0) * 1e3)
    return recall(idx, exact), statistics.median(batch), statistics.median(single)


def timed_persist(impl, kind, save, load, path):
    t0 = time.perf_counter()
    save(path)
    saved = time.perf_counter() - t0
    loads = []
    for _ in range(3):
        t0 = time.perf_counter()
        load(path)
        loads.append(time.perf_counter() - t0)
    mb = os.path.getsize(path) / 1048576.0
    os.remove(path)
    return (impl, kind, saved, statistics.median(loads), mb)


def peer_hnswlib(x, q, exact, k, threads, persisted, build_threads=1, efc=200):
    import hnswlib
    out = []
    index = hnswlib.Index(space="ip", dim=x.shape[1])
    index.init_index(max_elements=len(x), ef_construction=efc, M=16, random_seed=0)
    index.set_num_threads(build_threads)
    t0 = time.perf_counter()
    index.add_items(x, np.arange(len(x)))
    build = time.perf_counter() - t0
    index.set_num_threads(threads)
    for ef in EFS:
        index.set_ef(max(ef, k))
        r, b, s = timed_search(lambda qq: index.knn_query(qq, k=k)[0], q, exact)
        out.append(("hnswlib", "hnsw", "ef", ef, r, b, s, build, build_threads))

    def load(path):
        back = hnswlib.Index(space="ip", dim=x.shape[1])
        back.load_index(path, max_elements=len(x))
        del back
    persisted.append(timed_persist("hnswlib", "hnsw", index.save_index, load,
                                   os.path.join(tempfile.gettempdir(), "zsl_bench_hnswlib.bin")))
    return out


def peer_faiss(x, q, exact, k, threads, persisted, build_threads=1, efc=200):
    import faiss
    out = []
    index = faiss.IndexHNSWFlat(x.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = efc
    faiss.omp_set_num_threads(build_threads)
    t0 = time.perf_counter()
    index.add(x)
    build = time.perf_counter() - t0
    faiss.omp_set_num_threads(threads)
    for ef in EFS:
        index.hnsw.efSearch = max(ef, k)
        r, b, s = timed_search(lambda qq: index.search(qq, k)[1], q, exact)
        out.append(("FAISS", "hnsw", "efSearch", ef, r, b, s, build, build_threads))
    persisted.append(timed_persist("FAISS", "hnsw", lambda p: faiss.write_index(index, p), faiss.read_index,
                                   os.path.join(tempfile.gettempdir(), "zsl_bench_faiss.index")))
    return out


def module_round(exe, args, reuse, persisted):
    cmd = [exe, f"--rows={args.rows}", f"--dim={args.dim}", f"--queries={args.queries}", f"--k={args.k}",
           f"--out={args.out}", "--hnsw-ef=" + ",".join(map(str, EFS)), f"--hnsw-efc={args.efc}"]
    if reuse:
        cmd.append("--reuse")
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    out = []
    for line in text.splitlines():
        if line.startswith("PERSIST "):
            kv = dict(item.split("=", 1) for item in line.split()[1:])
            if kv["same_answers"] != "1":
                sys.exit(f"bench_ann: the loaded {kv['kind']} index answers differently from the built one")
            persisted.append(("cv::zsl", kv["kind"], float(kv["save_s"]), float(kv["load_s"]), float(kv["file_mb"])))
            continue
        if not line.startswith("RESULT "):
            continue
        kv = dict(item.split("=", 1) for item in line.split()[1:])
        param = "checks" if "checks" in kv else "ef"
        out.append(("cv::zsl", kv["kind"], param, int(kv[param]), float(kv["recall"]), float(kv["batch_ms"]),
                    float(kv["single_ms"]), float(kv["build_s"]), int(kv["build_threads"])))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", default="/tmp/zsl_ann")
    ap.add_argument("--max-load", type=float, default=0.5)
    ap.add_argument("--no-faiss", action="store_true", help="skip the FAISS peer (its one-thread build is the slowest)")
    ap.add_argument("--efc", type=int, default=200, help="efConstruction of every HNSW (module, hnswlib, FAISS)")
    ap.add_argument("--hnswlib-build-threads", type=int, default=1,
                    help="threads of hnswlib's build (1: the same work as ours; more: hnswlib's usual parallel insertion)")
    ap.add_argument("--faiss-build-threads", type=int, default=1, help="threads of FAISS's build (1: the same work as ours)")
    args = ap.parse_args()
    threads = os.cpu_count()
    wait_idle(args.max_load)
    results, loads, persisted = {}, [], []
    for r in range(args.rounds):
        loads.append(os.getloadavg()[0])
        def record(rows):
            # Printed as measured too, so that an interrupted run keeps what it measured.
            for row in rows:
                results.setdefault(row[:4], []).append(row[4:])
                print(f"round {r + 1}: {row[0]} {row[1]} {row[2]} {row[3]}: recall {row[4]:.4f}, batch {row[5]:.4f} ms/query, "
                      f"single {row[6]:.4f} ms, build {row[7]:.1f} s ({row[8]} thread)", flush=True)
        record(module_round(os.path.join(args.build, "bench_ann"), args, r > 0, persisted))
        x = np.fromfile(os.path.join(args.out, "gallery.f32"), dtype=np.float32).reshape(args.rows, args.dim)
        q = np.fromfile(os.path.join(args.out, "queries.f32"), dtype=np.float32).reshape(args.queries, args.dim)
        exact = np.fromfile(os.path.join(args.out, "exact.i32"), dtype=np.int32).reshape(args.queries, args.k)
        record(peer_hnswlib(x, q, exact, args.k, threads, persisted, args.hnswlib_build_threads, args.efc))
        if not args.no_faiss:
            record(peer_faiss(x, q, exact, args.k, threads, persisted, args.faiss_build_threads, args.efc))
    print(f"approximate search, {args.rows} x {args.dim} embedding-like vectors, {args.queries} queries, top-{args.k}, "
          f"{args.rounds} interleaved rounds (medians), searches on {threads} threads; "
          f"1-minute load average {min(loads):.2f}-{max(loads):.2f} at the rounds' starts")
    print("| implementation | kind | knob | recall@10 | ms/query, batch | ms, single query | build s (threads) |")
    print("|---|---|---|---|---|---|---|")
    best = {}
    for key, vals in results.items():
        med = [statistics.median(v[i] for v in vals) for i in range(4)]
        impl, kind, param, value = key
        print(f"| {impl} | {kind} | {param} {value} | {med[0]:.4f} | {med[1]:.4f} | {med[2]:.4f} | {med[3]:.1f} ({vals[0][4]}) |")
        if med[0] >= 0.95 and (impl, kind) not in best or (med[0] >= 0.95 and med[1] < best[(impl, kind)][1]):
            best[(impl, kind)] = (f"{param} {value}", med[1], med[2], med[0], med[3])
    print("\n| implementation | kind | save s | load s | file MB |")
    print("|---|---|---|---|---|")
    by_kind = {}
    for impl, kind, saved, loaded, mb in persisted:
        by_kind.setdefault((impl, kind), []).append((saved, loaded, mb))
    for (impl, kind), vals in by_kind.items():
        med = [statistics.median(v[i] for v in vals) for i in range(3)]
        print(f"| {impl} | {kind} | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.1f} |")
    print("\nlowest batch ms/query at recall@10 >= 0.95:")
    for (impl, kind), (knob, b, s, rc, build) in sorted(best.items()):
        print(f"  {impl} {kind}: {knob}: {b:.4f} ms/query batch, {s:.4f} ms single, recall {rc:.4f}, build {build:.1f} s")


if __name__ == "__main__":
    main()
