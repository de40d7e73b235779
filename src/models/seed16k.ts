// The reference network (../shared/reference/net.py): 16,626 parameters, PyTorch's state-dict
// names. ReLUs after BatchNorm are fused into the BatchNorm op; the summary still lists the same
// layers torchsummary lists for the PyTorch module.
import { BatchNorm2d, Conv2d, Dropout, Flatten, GlobalAvgPool, Linear, LogSoftmax, MaxPool2d, ReLU } from '../nn/layers.js';
import { Sequential } from '../nn/sequential.js';
import type { Rng } from '../util/rng.js';

export interface ModelOptions {
  /** Seeds the initial weights. */
  initRng: Rng;
  /** Drives dropout masks during training. */
  dropoutRng: Rng;
  dropout: number;
}

export function seed16k(o: ModelOptions): Sequential {
  const r = o.initRng;
  return new Sequential([
    ['conv1', new Conv2d(1, 8, 3, 1, r)], ['bn1', new BatchNorm2d(8, true)],       // (N,8,28,28)
    ['conv2', new Conv2d(8, 16, 3, 1, r)], ['bn2', new BatchNorm2d(16, true)],     // (N,16,28,28)
    ['drop1', new Dropout(o.dropout, o.dropoutRng)], ['pool1', new MaxPool2d()],  // (N,16,14,14)
    ['conv3', new Conv2d(16, 32, 3, 1, r)], ['bn3', new BatchNorm2d(32, true)],    // (N,32,14,14)
    ['conv4', new Conv2d(32, 24, 3, 1, r)], ['bn4', new BatchNorm2d(24, true)],    // (N,24,14,14)
    ['drop2', new Dropout(o.dropout, o.dropoutRng)], ['pool2', new MaxPool2d()],  // (N,24,7,7)
    ['conv5', new Conv2d(24, 16, 3, 0, r)], ['relu5', new ReLU()],                 // (N,16,5,5)
    ['gap', new GlobalAvgPool()], ['flatten', new Flatten()],                      // (N,16,1,1) → (N,16)
    ['fc', new Linear(16, 10, r)], ['logsoftmax', new LogSoftmax()],               // (N,10)
  ]);
}
