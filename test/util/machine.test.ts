// The CPU named with every figure: /proc/cpuinfo as a KVM guest on an AMD EPYC shows it (generic
// model name, the family/model that tell Zen 3 from Zen 4), hand-trimmed; an ARM board's has none
// of the x86 fields.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeMachine, parseCpuinfo } from '../../src/util/machine.js';

const EPYC = `processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 25
model		: 17
model name	: AMD EPYC
flags		: fpu vme de avx2 avx512f avx512dq avx512bw
bogomips	: 4890.80

processor	: 1
vendor_id	: AuthenticAMD
cpu family	: 23
model		: 49
model name	: AMD EPYC
flags		: fpu vme de avx2
`;

const ARM = `processor	: 0
BogoMIPS	: 108.00
Features	: fp asimd evtstrm crc32 cpuid
CPU implementer	: 0x41
CPU part	: 0xd08
`;

describe('machine info', () => {
  it('reads the first processor\'s family, model and AVX-512 flag', () => {
    assert.deepEqual(parseCpuinfo(EPYC), { family: 25, model: 17, avx512: true });
    assert.deepEqual(parseCpuinfo(EPYC.replace(' avx512f avx512dq avx512bw', '')), { family: 25, model: 17, avx512: false });
    assert.deepEqual(parseCpuinfo(ARM), {});
  });

  it('describes a machine in one line', () => {
    assert.equal(describeMachine({ cpu: 'AMD EPYC', cores: 2, family: 25, model: 1, avx512: false }), 'AMD EPYC (family 25 model 1, no AVX-512), 2 cores');
    assert.equal(describeMachine({ cpu: 'Apple M2', cores: 1 }), 'Apple M2, 1 core');
  });
});
