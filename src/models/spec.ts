// The architecture format: a JSON object with a `layers` array in PyTorch's vocabulary, parsed and
// checked here into a normalised spec (every default filled in, every layer named). Pure data: no
// engine, no files (the CLI reads the file; the page fetches it). Shapes, parameter counts,
// receptive fields and multiply-adds are worked out in shapes.ts without running anything.
import { FileFormatError } from '../util/errors.js';

export type LayerType = 'conv2d' | 'batchnorm2d' | 'relu' | 'dropout' | 'maxpool2d' | 'avgpool2d' | 'gap' | 'flatten' | 'linear' | 'logsoftmax';

export type LayerSpec =
  | { type: 'conv2d'; name: string; out_channels: number; kernel_size: number; stride: number; padding: number; bias: boolean }
  | { type: 'batchnorm2d'; name: string }
  | { type: 'relu'; name: string }
  | { type: 'dropout'; name: string; p: number }
  | { type: 'maxpool2d' | 'avgpool2d'; name: string; kernel_size: number; stride: number }
  | { type: 'gap'; name: string }
  | { type: 'flatten'; name: string }
  | { type: 'linear'; name: string; out_features: number; bias: boolean }
  | { type: 'logsoftmax'; name: string };

export interface ArchSpec {
  name: string;
  layers: LayerSpec[];
  /**
   * The architecture's default training recipe in train's flag names ({"lr": 0.2, "translate": 2});
   * checked by the train layer (train/recipe-options.ts), kept here as written. Absent: the defaults.
   */
  recipe?: Readonly<Record<string, number | string | boolean>>;
}

/** Options each layer type takes (besides `type` and `name`), with PyTorch's defaults; undefined = required. */
const OPTIONS: Record<LayerType, Record<string, number | boolean | undefined>> = {
  conv2d: { out_channels: undefined, kernel_size: undefined, stride: 1, padding: 0, bias: true },
  batchnorm2d: {},
  relu: {},
  dropout: { p: 0.5 },
  maxpool2d: { kernel_size: undefined, stride: undefined },
  avgpool2d: { kernel_size: undefined, stride: undefined },
  gap: {},
  flatten: {},
  linear: { out_features: undefined, bias: true },
  logsoftmax: {},
};

/**
 * The state-dict prefix of a layer without a "name": conv1, conv2… for conv2d, bn1… for batchnorm2d,
 * fc1… for linear, and the type plus a count for the rest (relu1, dropout2, maxpool1…), counting
 * layers of the same type from 1 in file order.
 */
const PREFIX: Partial<Record<LayerType, string>> = { conv2d: 'conv', batchnorm2d: 'bn', linear: 'fc', maxpool2d: 'maxpool', avgpool2d: 'avgpool' };

export const MAX_LAYERS = 64;
const MAX_WIDTH = 4096;

class SpecError extends FileFormatError {}

const sources = new WeakMap<ArchSpec, string>();

/** The file (or label) a parsed spec came from, for error messages found later (shapes.ts); else its name. */
export function sourceOf(spec: ArchSpec): string {
  return sources.get(spec) ?? spec.name;
}

/** Checks a parsed JSON value and returns the normalised spec; throws a FileFormatError naming `source`, the layer and the problem. */
export function parseArchSpec(json: unknown, source: string): ArchSpec {
  const fail = (msg: string): never => {
    throw new SpecError(source, msg);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('an architecture must be a JSON object with a "layers" array');
  const top = json as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!['name', 'layers', 'description', 'recipe'].includes(k)) fail(`unknown key "${k}" (expected "name", "layers", "description", "recipe")`);
  const recipe = top.recipe;
  if (recipe !== undefined && (typeof recipe !== 'object' || recipe === null || Array.isArray(recipe)
    || Object.values(recipe).some((v) => !['number', 'string', 'boolean'].includes(typeof v)))) {
    fail('"recipe" must be an object of settings named as train\'s flags, e.g. {"lr": 0.2, "translate": 2}');
  }
  if (top.name !== undefined && (typeof top.name !== 'string' || !/^[\w.-]{1,64}$/.test(top.name))) fail('"name" must be 1–64 letters, digits, "_", "-" or "."');
  if (!Array.isArray(top.layers) || top.layers.length === 0) fail('"layers" must be a non-empty array');
  const raw = top.layers as unknown[];
  if (raw.length > MAX_LAYERS) fail(`${raw.length} layers, at most ${MAX_LAYERS}`);
  const counts: Partial<Record<LayerType, number>> = {};
  const names = new Set<string>();
  const layers = raw.map((l, i) => {
    const at = (msg: string): never => fail(`layer ${i}${typeof l === 'object' && l && typeof (l as { type?: unknown }).type === 'string' ? ` (${(l as { type: string }).type})` : ''}: ${msg}`);
    if (typeof l !== 'object' || l === null || Array.isArray(l)) return at('must be an object with a "type"');
    const o = l as Record<string, unknown>;
    const type = o.type as LayerType;
    if (typeof o.type !== 'string' || !(o.type in OPTIONS)) return at(`unknown type ${JSON.stringify(o.type)} (known: ${Object.keys(OPTIONS).join(', ')})`);
    const opts = OPTIONS[type];
    const out: Record<string, unknown> = { type };
    for (const k of Object.keys(o)) if (k !== 'type' && k !== 'name' && !(k in opts)) at(`unknown option "${k}"${Object.keys(opts).length ? ` (takes ${Object.keys(opts).join(', ')})` : ' (takes none)'}`);
    counts[type] = (counts[type] ?? 0) + 1;
    const name = o.name ?? `${PREFIX[type] ?? type}${counts[type]}`;
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) at(`"name" must be an identifier (letters, digits, "_"), got ${JSON.stringify(o.name)}`);
    if (names.has(name as string)) at(`name "${name as string}" is used twice`);
    names.add(name as string);
    out.name = name;
    for (const [k, def] of Object.entries(opts)) {
      const v = o[k] ?? (k === 'stride' && (type === 'maxpool2d' || type === 'avgpool2d') ? o.kernel_size : def);
      if (v === undefined) at(`"${k}" is required`);
      out[k] = checkOption(type, k, v, at);
    }
    return out as unknown as LayerSpec;
  });
  const last = layers[layers.length - 1]!;
  if (last.type !== 'logsoftmax') fail(`layer ${layers.length - 1} (${last.type}): the last layer must be logsoftmax (the loss and every command take log-probabilities)`);
  const spec: ArchSpec = { name: (top.name as string | undefined) ?? 'custom', layers };
  if (recipe !== undefined) spec.recipe = { ...(recipe as Record<string, number | string | boolean>) };
  sources.set(spec, source);
  return spec;
}

function checkOption(type: LayerType, k: string, v: unknown, at: (msg: string) => never): number | boolean {
  if (k === 'bias') {
    if (typeof v !== 'boolean') at(`"bias" must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return at(`"${k}" must be a number, got ${JSON.stringify(v)}`);
  if (k === 'p') {
    if (!(v >= 0 && v < 1)) at(`"p" must be in [0, 1), got ${v}`);
    return v;
  }
  if (!Number.isInteger(v)) at(`"${k}" must be a whole number, got ${v}`);
  const range: Record<string, [number, number]> = {
    out_channels: [1, MAX_WIDTH], out_features: [1, MAX_WIDTH], kernel_size: [1, 7],
    stride: type === 'conv2d' ? [1, 2] : [1, 7], padding: [0, 3],
  };
  const [lo, hi] = range[k]!;
  if (v < lo || v > hi) at(`"${k}" must be ${type === 'conv2d' && k === 'stride' ? '1 or 2' : `from ${lo} to ${hi}`}, got ${v}`);
  return v;
}

/** Parses JSON text (a file's contents) into a normalised spec. */
export function parseArchJson(text: string, source: string): ArchSpec {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SpecError(source, `not valid JSON (${(err as Error).message})`);
  }
  return parseArchSpec(json, source);
}
