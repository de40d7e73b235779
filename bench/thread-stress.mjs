// Races between threads, looked for the way they show: a fresh process trains a few steps on 2
// threads beside CPU-bound processes, and its weights must be bit-identical to every other run's.
// A race that needs a thread preempted at the wrong instant shows in about 1 run in 100–200 this way
// (session 15's late notify: one thread's weight-gradient part counted twice), and never in a test
// run on an idle machine. A development tool, not part of `npm test`: each round is a new process,
// because V8's background compiles early in a process are what preempt the compute threads.
//   node bench/thread-stress.mjs [ARCH or FILE.json] [runs, default 200] [CPU hogs, default 2]
// Prints each run that differs (how many tensors do, and the first) and a count.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const [arch = 'seed16k', runs = '200', hogs = '2'] = process.argv.slice(2);
const STEPS = 12, BATCH = 32;

if (process.env.THREAD_STRESS_CHILD) {
  // One run: STEPS steps of ARCH's recipe at batch BATCH on 2 threads; prints a hash per tensor.
  const { initEngine, benchTrainer, trainEpoch } = await import('./dist-trainer.mjs');
  const e = initEngine({ threads: 2 });
  const { data, t } = benchTrainer(arch, BATCH, STEPS);
  trainEpoch(t, data.train);
  const out = {};
  for (const [name, x] of t.model.stateDict()) out[name] = createHash('sha1').update(Buffer.from(Float32Array.from(x.data()).buffer)).digest('hex').slice(0, 16);
  e.pool.close();
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const children = Array.from({ length: Number(hogs) }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
try {
  let ref = null, bad = 0;
  for (let r = 0; r < Number(runs); r++) {
    const got = JSON.parse(execFileSync(process.execPath, [self, arch], { env: { ...process.env, THREAD_STRESS_CHILD: '1' }, encoding: 'utf8' }));
    if (!ref) { ref = got; continue; }
    const differ = Object.keys(ref).filter((k) => ref[k] !== got[k]);
    if (differ.length) {
      bad++;
      console.log(`run ${r}: ${differ.length} of ${Object.keys(ref).length} tensors differ from run 0, first ${differ[0]}`);
    }
  }
  console.log(`${arch}: ${bad} of ${Number(runs) - 1} runs differ from run 0 (${STEPS} steps at batch ${BATCH}, 2 threads, ${hogs} CPU hogs)`);
} finally {
  for (const c of children) c.kill();
}
