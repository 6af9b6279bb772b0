#!/usr/bin/env python3
"""ALE epoch time in PyTorch: the peer of modules/zsl/perf/bench_ranking.cpp.

The same computation as cv::zsl's ALE: bilinear scores F = (X_b W) S^T on minibatches, the weighted
approximate ranking hinge loss (beta(r)/r * sum of margin violations, beta(r) = H_r), autograd, plain SGD
with weight decay. Random data of the given shape (AwA2 by default: 23,527 x 2,048 features,
40 seen classes, 85 attributes). Prints one line `torch_epoch_seconds=<median wall> torch_epoch_cpu_seconds=<median CPU> ...` for the C++ driver.

Run with Debian's interpreter: /usr/bin/python3 tools/bench_torch_ale.py --threads 2
"""
import argparse
import statistics
import time

import torch


def ale_loss(scores, labels, margin):
    n, c = scores.shape
    truth = scores.gather(1, labels[:, None])
    v = (margin + scores - truth).clamp_min(0)
    v = v.masked_fill(torch.nn.functional.one_hot(labels, c).bool(), 0)
    r = (v > 0).sum(1)
    harmonic = torch.cat([torch.zeros(1), torch.cumsum(1.0 / torch.arange(1, c + 1, dtype=torch.float32), 0)])
    weight = torch.where(r > 0, harmonic[r] / r.clamp_min(1), torch.zeros(()))
    return (v.sum(1) * weight).mean()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=23527)
    ap.add_argument("--d", type=int, default=2048)
    ap.add_argument("--a", type=int, default=85)
    ap.add_argument("--c", type=int, default=40)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(args.n, args.d, generator=g)
    S = torch.rand(args.c, args.a, generator=g)
    y = torch.randint(0, args.c, (args.n,), generator=g)
    W = (torch.randn(args.d, args.a, generator=g) * (1e-3 / args.d ** 0.5)).requires_grad_()
    opt = torch.optim.SGD([W], lr=args.lr, momentum=0.0, weight_decay=args.weight_decay)

    times, cpu = [], []
    for _ in range(args.epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        order = torch.randperm(args.n, generator=g)
        total = 0.0
        for start in range(0, args.n, args.batch):
            rows = order[start:start + args.batch]
            xb = X[rows]
            loss = ale_loss((xb @ W) @ S.t(), y[rows], 1.0)
            opt.zero_grad(set_to_none=False)
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    # The first epoch pays for allocator warm-up; the median of the rest is the steady state.
    skip = 1 if len(times) > 1 else 0
    print("torch_epoch_seconds=%.6f torch_epoch_cpu_seconds=%.6f torch_version=%s threads=%d epochs=%s last_loss=%.6f"
          % (statistics.median(times[skip:]), statistics.median(cpu[skip:]), torch.__version__, torch.get_num_threads(),
             ",".join("%.4f" % t for t in times), total / args.n))


if __name__ == "__main__":
    main()
