// The reference network (bench/net.py; 16,626 parameters, PyTorch's state-dict names), built
// from its zoo file zoo/seed16k.json. Kept as a function for tests and library users.
import { buildModel, type ModelOptions } from './build.js';
import { zooSpec } from './index.js';
import type { Sequential } from '../nn/sequential.js';

export function seed16k(o: ModelOptions): Sequential {
  return buildModel(zooSpec('seed16k'), o);
}
