// Architectures by name (the CLI's --arch). Each takes the same options and returns a Module.
import type { Module } from '../nn/module.js';
import { UserError } from '../util/errors.js';
import { seed16k, type ModelOptions } from './seed16k.js';

export type { ModelOptions } from './seed16k.js';

export const ARCHITECTURES: Record<string, { build: (o: ModelOptions) => Module; description: string }> = {
  seed16k: { build: seed16k, description: 'the 16,626-parameter reference CNN (conv×5, BatchNorm, GAP, linear)' },
};

export function buildModel(arch: string, o: ModelOptions): Module {
  const a = ARCHITECTURES[arch];
  if (!a) throw new UserError(`unknown architecture "${arch}" (known: ${Object.keys(ARCHITECTURES).join(', ')})`);
  return a.build(o);
}
