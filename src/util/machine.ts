// Which machine a figure came from, as precisely as the OS tells: every speed figure and run
// record names its CPU. Under a hypervisor the model name can be generic ("AMD EPYC" covers Zen 2
// to Zen 5), so on Linux the CPU family, model and whether it has AVX-512 (which decides how fast
// V8's SIMD code runs) are read from /proc/cpuinfo as well.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  /** From /proc/cpuinfo (Linux); absent elsewhere. */
  family?: number;
  model?: number;
  avx512?: boolean;
}

/** The first processor's "cpu family", "model" and flags in a /proc/cpuinfo text. */
export function parseCpuinfo(text: string): Pick<MachineInfo, 'family' | 'model' | 'avx512'> {
  const first = text.split(/\n\s*\n/)[0] ?? '';
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1]?.trim();
  const out: Pick<MachineInfo, 'family' | 'model' | 'avx512'> = {};
  const family = Number(field('cpu family')), model = Number(field('model'));
  if (Number.isInteger(family)) out.family = family;
  if (Number.isInteger(model)) out.model = model;
  const flags = field('flags');
  if (flags !== undefined) out.avx512 = flags.split(/\s+/).includes('avx512f');
  return out;
}

export function machineInfo(): MachineInfo {
  const base = { cpu: os.cpus()[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism() };
  try {
    return { ...base, ...parseCpuinfo(readFileSync('/proc/cpuinfo', 'utf8')) };
  } catch {
    return base;
  }
}

/** One line: "AMD EPYC (family 25 model 1, no AVX-512), 2 cores". */
export function describeMachine(m: MachineInfo): string {
  const detail = [m.family !== undefined && m.model !== undefined ? `family ${m.family} model ${m.model}` : '',
    m.avx512 === undefined ? '' : m.avx512 ? 'AVX-512' : 'no AVX-512'].filter(Boolean).join(', ');
  return `${m.cpu}${detail ? ` (${detail})` : ''}, ${m.cores} core${m.cores === 1 ? '' : 's'}`;
}
