"""A tiny-mnist architecture spec (src/models/spec.ts: a JSON object with a "layers" array) as a
PyTorch module, with the same state-dict names, so a model file written by tiny-mnist loads here and
one saved here loads in tiny-mnist. ReLU, flatten and log-softmax are functional (F.relu, ...), as in
the reference net.py, so torchsummary lists the same layers as `tiny-mnist summary`.

    net = SpecNet(json.load(open('my-net.json')))
"""
import torch.nn as nn
import torch.nn.functional as F

PREFIX = {'conv2d': 'conv', 'batchnorm2d': 'bn', 'linear': 'fc', 'maxpool2d': 'maxpool', 'avgpool2d': 'avgpool'}


def normalise(spec):
    """Fills in defaults and names as src/models/spec.ts does (names: conv1.., bn1.., fc1.., relu1..)."""
    counts, layers = {}, []
    for l in spec['layers']:
        l = dict(l)
        t = l['type']
        counts[t] = counts.get(t, 0) + 1
        l.setdefault('name', f"{PREFIX.get(t, t)}{counts[t]}")
        if t == 'conv2d':
            l.setdefault('stride', 1), l.setdefault('padding', 0), l.setdefault('bias', True)
        elif t in ('maxpool2d', 'avgpool2d'):
            l.setdefault('stride', l['kernel_size'])
        elif t == 'dropout':
            l.setdefault('p', 0.5)
        elif t == 'linear':
            l.setdefault('bias', True)
        layers.append(l)
    return layers


class SpecNet(nn.Module):
    def __init__(self, spec, in_shape=(1, 28, 28)):
        super().__init__()
        self.steps = []  # (type, name, options)
        c, h, w = in_shape
        feat = None
        for l in normalise(spec):
            t, name = l['type'], l['name']
            if t == 'conv2d':
                k, s, p = l['kernel_size'], l['stride'], l['padding']
                setattr(self, name, nn.Conv2d(c, l['out_channels'], k, stride=s, padding=p, bias=l['bias']))
                c, h, w = l['out_channels'], (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            elif t == 'batchnorm2d':
                setattr(self, name, nn.BatchNorm2d(c))
            elif t in ('maxpool2d', 'avgpool2d'):
                k, s = l['kernel_size'], l['stride']
                setattr(self, name, (nn.MaxPool2d if t == 'maxpool2d' else nn.AvgPool2d)(k, s))
                h, w = (h - k) // s + 1, (w - k) // s + 1
            elif t == 'dropout':
                setattr(self, name, nn.Dropout(l['p']))
            elif t == 'gap':
                setattr(self, name, nn.AdaptiveAvgPool2d(1))
                h = w = 1
            elif t == 'flatten':
                feat = c * h * w
            elif t == 'linear':
                setattr(self, name, nn.Linear(feat, l['out_features'], bias=l['bias']))
                feat = l['out_features']
            self.steps.append((t, name))

    def forward(self, x):
        for t, name in self.steps:
            if t == 'relu':
                x = F.relu(x)
            elif t == 'flatten':
                x = x.flatten(1)
            elif t == 'logsoftmax':
                x = F.log_softmax(x, dim=1)
            else:
                x = getattr(self, name)(x)
        return x
