"""The PyTorch reference recipe, trained end to end: the clock for the README's time-to-accuracy table.

The seed's recipe on the same network (built from the same architecture file as torch_reference.py):
SGD momentum 0.9, OneCycle (max_lr 0.05, PyTorch's defaults otherwise), batch 128, 19 epochs,
random rotation ±5° and brightness/contrast jitter ±0.1 (torch_reference.augment), plain BatchNorm
statistics, the test set scored after every epoch. The clock starts when this script starts (the
PyTorch import and data loading count, as `tiny-mnist train`'s wall time counts its start-up).

Run with Debian's PyTorch:  /usr/bin/python3 bench/torch_train.py --threads 2 [--seed 1] [--arch FILE.json]
Prints one JSON object per epoch: epoch, test_acc (%), seconds since start; then a summary line with
the first epoch at or above --target (default 99.4) and its time.
"""
import time

T0 = time.perf_counter()

import json, os, sys  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spec_net import SpecNet  # noqa: E402
from torch_reference import augment, common_args, read_idx  # noqa: E402


def main():
    ap = common_args(threads=2)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--epochs', type=int, default=19)
    ap.add_argument('--target', type=float, default=99.4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    load = lambda name, header: read_idx(os.path.join(a.data, name), header)
    xtr = torch.tensor(load('train-images-idx3-ubyte', 16).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
    ytr = torch.tensor(load('train-labels-idx1-ubyte', 8).astype(np.int64))
    xte = torch.tensor(load('t10k-images-idx3-ubyte', 16).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
    yte = torch.tensor(load('t10k-labels-idx1-ubyte', 8).astype(np.int64))
    with open(a.arch) as f:
        model = SpecNet(json.load(f))
    B = 128
    steps = (len(xtr) + B - 1) // B
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=a.epochs * steps)
    norm = lambda x: (x - 0.1307) / 0.3081
    first = None
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = torch.randperm(len(xtr))
        for i in range(steps):
            idx = order[i * B:(i + 1) * B]
            loss = F.nll_loss(model(norm(augment(xtr[idx]))), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xte), 1000):
                correct += (model(norm(xte[i:i + 1000])).argmax(1) == yte[i:i + 1000]).sum().item()
        acc = 100 * correct / len(xte)
        seconds = time.perf_counter() - T0
        if first is None and acc >= a.target:
            first = {'epoch': epoch, 'seconds': seconds}
        print(json.dumps({'epoch': epoch, 'test_acc': acc, 'seconds': round(seconds, 1)}), flush=True)
    print(json.dumps({'threads': a.threads, 'seed': a.seed, 'torch': torch.__version__, 'target': a.target,
                      'first_at_target': first, 'final_test_acc': acc, 'seconds': round(time.perf_counter() - T0, 1)}))


if __name__ == '__main__':
    main()
