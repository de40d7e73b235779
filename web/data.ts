// Fetching the MNIST slices the server offers (/data/*-idx?-ubyte, see src/server/assets.ts) and
// parsing them with the same strict IDX reader as the CLI. Used by the page and the engine worker.
import type { Split } from '../src/data/datasets.js';
import { parseIdx } from '../src/data/idx.js';
import type { SiteInfo } from '../src/server/assets.js';

/** What /info.json says: the server's own type (a type-only import, gone from the bundle). */
export type { SiteInfo };

export async function fetchBytes(url: string | URL): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${String(url)}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

export async function fetchInfo(base: string | URL): Promise<SiteInfo> {
  return JSON.parse(new TextDecoder().decode(await fetchBytes(new URL('info.json', base)))) as SiteInfo;
}

/** prefix: 'train' or 't10k'. Keeps the first `limit` examples (copies only then). */
export async function fetchSplit(base: string | URL, prefix: 'train' | 't10k', limit?: number): Promise<Split> {
  const imagesName = `data/${prefix}-images-idx3-ubyte`;
  const labelsName = `data/${prefix}-labels-idx1-ubyte`;
  const [imageBytes, labelBytes] = await Promise.all([fetchBytes(new URL(imagesName, base)), fetchBytes(new URL(labelsName, base))]);
  const images = parseIdx(new Uint8Array(imageBytes), imagesName);
  const labels = parseIdx(new Uint8Array(labelBytes), labelsName);
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`${imagesName}: dims [${images.dims}] do not match ${labelsName}: [${labels.dims}]`);
  }
  const [n, height, width] = images.dims as [number, number, number];
  const count = Math.min(n, limit ?? n);
  return {
    images: count === n ? images.data : images.data.slice(0, count * height * width),
    labels: count === n ? labels.data : labels.data.slice(0, count),
    count,
    height,
    width,
  };
}

/** Image `i` of a split as floats in [0,1]: (height,width). */
export function imageFloats(split: Split, i: number): Float32Array {
  const px = split.height * split.width;
  const out = new Float32Array(px);
  for (let j = 0; j < px; j++) out[j] = split.images[i * px + j]! / 255;
  return out;
}
