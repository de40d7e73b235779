// The zoo: architectures that ship with tiny-mnist, one JSON file each in zoo/, by name (the CLI's
// --arch NAME). Any other spec comes from a file (the CLI reads it) or an object (the library).
import seed16kJson from './zoo/seed16k.json' with { type: 'json' };
import tinyJson from './zoo/tiny.json' with { type: 'json' };
import fastJson from './zoo/fast.json' with { type: 'json' };
import accurateJson from './zoo/accurate.json' with { type: 'json' };
import { UserError } from '../util/errors.js';
import { parseArchSpec, type ArchSpec } from './spec.js';

export type { ModelOptions } from './build.js';
export { buildModel, MNIST_INPUT } from './build.js';
export { parseArchSpec, parseArchJson, sourceOf, type ArchSpec, type LayerSpec } from './spec.js';
export { analyseSpec, countParams, type LayerInfo } from './shapes.js';

/** Zoo entries: the spec and a line on what it is. */
export const ZOO: Readonly<Record<string, { spec: ArchSpec; description: string }>> = Object.freeze({
  seed16k: { spec: parseArchSpec(seed16kJson, 'zoo/seed16k.json'), description: seed16kJson.description },
  tiny: { spec: parseArchSpec(tinyJson, 'zoo/tiny.json'), description: tinyJson.description },
  fast: { spec: parseArchSpec(fastJson, 'zoo/fast.json'), description: fastJson.description },
  accurate: { spec: parseArchSpec(accurateJson, 'zoo/accurate.json'), description: accurateJson.description },
});

/** A zoo entry's spec by name. */
export function zooSpec(name: string): ArchSpec {
  const z = ZOO[name];
  if (!z) throw new UserError(`unknown architecture "${name}" (the zoo has ${Object.keys(ZOO).join(', ')}; or give a .json file)`);
  return z.spec;
}
