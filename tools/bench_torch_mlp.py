#!/usr/bin/python3
"""PyTorch peer of modules/zsl/perf/bench_trainable.cpp: trains the same MLP on the same data shape
and prints the seconds per epoch.

Same architecture (D -> H -> A, ReLU), loss (MSE), optimiser (Adam, lr 1e-3), batch size, shuffling
per epoch and thread count as the C++ side. Run with Debian's interpreter: /usr/bin/python3
(package python3-torch). Output: one line per epoch "epoch <i> seconds <t> loss <l>", then
"torch_seconds_per_epoch <fastest epoch>".
"""
import argparse
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=23527)
    ap.add_argument("--features", type=int, default=2048)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--attributes", type=int, default=85)
    ap.add_argument("--classes", type=int, default=40)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x = torch.rand(args.rows, args.features)
    protos = torch.rand(args.classes, args.attributes)
    y = torch.randint(0, args.classes, (args.rows,))
    targets = protos[y]
    net = torch.nn.Sequential(torch.nn.Linear(args.features, args.hidden), torch.nn.ReLU(),
                              torch.nn.Linear(args.hidden, args.attributes))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()
    times = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(args.rows)
        total = 0.0
        for b in range(0, args.rows, args.batch):
            idx = order[b:b + args.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[idx]), targets[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        times.append(time.perf_counter() - start)
        print(f"epoch {epoch} seconds {times[-1]:.3f} loss {total / args.rows:.5f}", flush=True)
    # The fastest epoch: on a shared machine the slower ones measure the neighbours, not the code.
    print(f"torch_seconds_per_epoch {min(times):.3f} (median {statistics.median(times):.3f})")
    print(f"torch_version {torch.__version__} threads {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
