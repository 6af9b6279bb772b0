#!/usr/bin/python3
"""PyTorch peer of modules/zsl/perf/bench_cada_vae.cpp: trains the same CADA-VAE (Schoenfeld et al.,
CVPR 2019) on the same data shape and prints the training time.

Same networks (feature VAE D -> 1560 -> 2L, L -> 1660 -> D; prototype VAE A -> 1450 -> 2L,
L -> 665 -> A; ReLU), same loss (per-sample L1 reconstructions + beta KL + gamma cross-L1 + delta
2-Wasserstein between the posteriors, means over the batch), the paper's warm-up schedules stretched to
the epoch count, log-variances clamped to +-8, Adam (lr 1.5e-4), batch 50, a reshuffle per epoch, the
same thread count as the C++ side. Run with Debian's interpreter: /usr/bin/python3 (python3-torch).
Output: "epoch <i> seconds <t> loss <l>" per epoch, then "torch_seconds_total <t>".
"""
import argparse
import time

import torch
import torch.nn as nn


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


def ramp(e, start, end, factor):
    return min(max((e - start) / (end - start), 0.0), 1.0) * factor


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=23527)
    ap.add_argument("--features", type=int, default=2048)
    ap.add_argument("--attributes", type=int, default=85)
    ap.add_argument("--classes", type=int, default=40)
    ap.add_argument("--latent", type=int, default=64)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    L = args.latent
    x = torch.rand(args.rows, args.features)
    protos = torch.rand(args.classes, args.attributes)
    y = torch.randint(0, args.classes, (args.rows,))
    enc_x, dec_x = mlp(args.features, 1560, 2 * L), mlp(L, 1660, args.features)
    enc_a, dec_a = mlp(args.attributes, 1450, 2 * L), mlp(L, 665, args.attributes)
    params = [p for m in (enc_x, dec_x, enc_a, dec_a) for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=1.5e-4)

    def posterior(h):
        mu, lv = h[:, :L], h[:, L:].clamp(-8, 8)
        sigma = (0.5 * lv).exp()
        return mu, lv, sigma, mu + sigma * torch.randn_like(mu)

    start_all = time.perf_counter()
    for epoch in range(args.epochs):
        start = time.perf_counter()
        e = 100.0 * epoch / args.epochs
        beta, gamma, delta = ramp(e, 0, 93, 0.25), ramp(e, 21, 75, 2.37), ramp(e, 6, 22, 8.13)
        order = torch.randperm(args.rows)
        total = 0.0
        for b in range(0, args.rows, args.batch):
            idx = order[b:b + args.batch]
            xb, ab = x[idx], protos[y[idx]]
            n = len(idx)
            mx, lx, sx, zx = posterior(enc_x(xb))
            ma, la, sa, za = posterior(enc_a(ab))
            z = torch.cat([zx, za])
            xr, ar = dec_x(z), dec_a(z)
            recon = ((xr[:n] - xb).abs().sum() + (ar[n:] - ab).abs().sum()) / n
            cross = ((xr[n:] - xb).abs().sum() + (ar[:n] - ab).abs().sum()) / n
            kl = (-0.5 * (1 + lx - mx.pow(2) - lx.exp()).sum() - 0.5 * (1 + la - ma.pow(2) - la.exp()).sum()) / n
            dist = (((mx - ma) ** 2).sum(1) + ((sx - sa) ** 2).sum(1)).sqrt().mean()
            loss = recon + beta * kl + gamma * cross + delta * dist
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * n
        print(f"epoch {epoch + 1} seconds {time.perf_counter() - start:.3f} loss {total / args.rows:.5f}", flush=True)
    print(f"torch_seconds_total {time.perf_counter() - start_all:.3f}")
    print(f"torch_version {torch.__version__} threads {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
