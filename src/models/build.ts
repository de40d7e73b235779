// A spec becomes a model: one layer object per spec layer, in order, named as the spec names it, so
// the state dict has PyTorch's names ("conv1.weight", "bn1.running_mean"). Weights are drawn from
// initRng layer by layer (weight, then bias), as PyTorch's default initialisation would.
// The model is plain (unfused); nn/fuse.ts makes the fast version that training and inference run.
import { AvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, GlobalAvgPool, Linear, LogSoftmax, MaxPool2d, ReLU } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import type { Rng } from '../util/rng.js';
import { analyseSpec } from './shapes.js';
import { sourceOf, type ArchSpec, type LayerSpec } from './spec.js';

export interface ModelOptions {
  /** Seeds the initial weights. */
  initRng: Rng;
  /** Drives dropout masks during training (shared by every dropout layer). */
  dropoutRng: Rng;
  /** When given, overrides the p of every dropout layer (the CLI's --dropout). */
  dropout?: number;
  /** One input image (C,H,W); MNIST's (1,28,28) by default. */
  input?: readonly number[];
  /** When given, the network must end with this many outputs. */
  classes?: number;
}

export const MNIST_INPUT: readonly number[] = [1, 28, 28];

/** The spec's network, untrained (weights from o.initRng). Throws a FileFormatError if its shapes do not work out. */
export function buildModel(spec: ArchSpec, o: ModelOptions): Sequential {
  const infos = analyseSpec(spec, o.input ?? MNIST_INPUT, o.classes ?? null, sourceOf(spec));
  const layers = spec.layers.map((l, i): [string, Module] => {
    const inShape = i === 0 ? (o.input ?? MNIST_INPUT) : infos[i - 1]!.shape;
    return [l.name, makeLayer(l, inShape, o)];
  });
  return new Sequential(layers);
}

function makeLayer(l: LayerSpec, inShape: readonly number[], o: ModelOptions): Module {
  const inC = inShape[0]!;
  switch (l.type) {
    case 'conv2d': return new Conv2d(inC, l.out_channels, l.kernel_size, l.padding, o.initRng, l.stride, l.bias);
    case 'batchnorm2d': return new BatchNorm2d(inC);
    case 'relu': return new ReLU();
    case 'dropout': return new Dropout(o.dropout ?? l.p, o.dropoutRng);
    case 'maxpool2d': return new MaxPool2d(l.kernel_size, l.stride);
    case 'avgpool2d': return new AvgPool2d(l.kernel_size, l.stride);
    case 'gap': return new GlobalAvgPool();
    case 'flatten': return new Flatten();
    case 'linear': return new Linear(inC, l.out_features, o.initRng, l.bias);
    case 'logsoftmax': return new LogSoftmax();
  }
}
