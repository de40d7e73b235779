// Every optimiser and schedule option against PyTorch (test/fixtures/make_option_goldens.py): six
// steps on a 16-value parameter with fixed gradients from 1e-6 to 1, so that momentum, Nesterov,
// weight decay (L2 and decoupled), betas, eps and the bias corrections each change the result;
// OneCycle and StepLR driving the optimiser exactly as the trainer does (lr and momentum set before
// each step); and the schedules' values alone, including the default recipe's 8,911 steps.
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { Adam, type AdamOptions } from '../../src/optim/adam.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { ConstantLR, OneCycle, StepLR, type Schedule } from '../../src/optim/schedule.js';
import { SGD, type SgdOptions } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { makeSchedule } from '../../src/train/trainer.js';
import assert from 'node:assert/strict';
import { expectClose, golden } from '../helpers.js';

const g = golden('optim_options');
const STEPS = Number(g.meta.steps);
const onecycle = (maxLr: number): Schedule => new OneCycle({ maxLr, totalSteps: STEPS, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 });

// [case, kind, schedule or null]; the options come from the golden's metadata.
const CASES: Array<[string, 'sgd' | 'adam', Schedule | null]> = [
  ['sgd', 'sgd', null], ['sgd_wd', 'sgd', null], ['sgd_mom', 'sgd', null], ['sgd_mom_wd', 'sgd', null],
  ['sgd_nesterov', 'sgd', null], ['sgd_nesterov_wd', 'sgd', null],
  ['adam', 'adam', null], ['adam_l2', 'adam', null], ['adam_betas', 'adam', null], ['adamw', 'adam', null], ['adamw_default', 'adam', null],
  ['sgd_onecycle', 'sgd', onecycle(0.1)], ['adam_onecycle', 'adam', onecycle(0.01)], ['sgd_steplr', 'sgd', new StepLR(0.1, 2, 0.5)],
];

describe('optimiser options vs PyTorch', () => {
  after(closeEngine);
  for (const [name, kind, schedule] of CASES) {
    it(name, () => {
      const e = initEngine({ threads: 1 });
      const mark = e.arena.mark();
      const opts = JSON.parse(g.meta[name]!) as SgdOptions & AdamOptions;
      const p = Tensor.from(g.get('p0'), [16], true);
      const o: Optimizer = kind === 'sgd' ? new SGD([p], opts) : new Adam([p], opts);
      const grads = g.get('grads'), want = g.get(`${name}.params`);
      const lrs: number[] = [], moms: number[] = [];
      for (let t = 0; t < STEPS; t++) {
        if (schedule) {
          const sv = schedule.at(t);
          o.lr = sv.lr;
          if (sv.momentum !== undefined) o.momentum = sv.momentum;
        }
        lrs.push(o.lr);
        moms.push(o.momentum);
        o.zeroGrad();
        p.gradPtr ||= e.arena.alloc(16);
        e.floats(p.gradPtr, 16).set(grads.subarray(t * 16, (t + 1) * 16));
        p.hasGrad = true;
        o.step();
        expectClose(p.data(), want.subarray(t * 16, (t + 1) * 16), `${name} step ${t}`, 2e-5, 1e-6);
      }
      expectClose(lrs, g.get(`${name}.lr`), `${name} lr`, 1e-6, 1e-12);
      expectClose(moms, g.get(`${name}.momentum`), `${name} momentum`, 1e-6);
      e.arena.release(mark);
    });
  }
});

describe('schedule options vs PyTorch', () => {
  const s = golden('schedule_options');
  const cases: Array<[string, OneCycle]> = [
    ['recipe', new OneCycle({ maxLr: 0.1, totalSteps: 19 * 469, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 })],
    ['custom', new OneCycle({ maxLr: 0.02, totalSteps: 37, pctStart: 0.25, divFactor: 10, finalDivFactor: 100, baseMomentum: 0.8, maxMomentum: 0.9 })],
    ['nomomentum', new OneCycle({ maxLr: 0.05, totalSteps: 20, cycleMomentum: false })],
  ];
  for (const [name, oc] of cases) {
    it(`OneCycleLR ${name}`, () => {
      const steps = Array.from(s.get(`onecycle_${name}.step`));
      expectClose(steps.map((t) => oc.at(t).lr), s.get(`onecycle_${name}.lr`), 'lr', 1e-5, 1e-13);
      if (name === 'nomomentum') {
        for (const t of steps) if (oc.at(t).momentum !== undefined) throw new Error('cycleMomentum false must leave momentum alone');
      } else {
        expectClose(steps.map((t) => oc.at(t).momentum!), s.get(`onecycle_${name}.momentum`), 'momentum', 1e-6);
      }
    });
  }
  for (const [name, st] of [['default', new StepLR(0.1, 5)], ['custom', new StepLR(0.1, 3, 0.7)]] as const) {
    it(`StepLR ${name}, 20 epochs`, () => {
      expectClose(Array.from({ length: 20 }, (_, i) => st.at(i).lr), s.get(`steplr_${name}.lr`), 'lr', 1e-6, 1e-12);
    });
  }
  it('--schedule step as the trainer builds it: defaults (5, 0.1) and --step-size 3 --gamma 0.7, per epoch of 4 steps', () => {
    for (const [name, extra] of [['default', {}], ['custom', { stepSize: 3, gamma: 0.7 }]] as const) {
      const sch = makeSchedule({ ...DEFAULT_RECIPE, schedule: 'step', lr: 0.1, epochs: 20, ...extra }, 4);
      const lr = Array.from({ length: 20 }, (_, epoch) => [0, 3].map((k) => sch.at(epoch * 4 + k).lr)); // first and last step
      expectClose(lr.map(([a]) => a!), s.get(`steplr_${name}.lr`), `${name} first step`, 1e-6, 1e-12);
      expectClose(lr.map(([, b]) => b!), s.get(`steplr_${name}.lr`), `${name} last step`, 1e-6, 1e-12);
    }
  });
  it('ConstantLR is constant; OneCycle refuses an empty run', () => {
    assert.deepEqual([0, 7, 1e6].map(() => new ConstantLR(0.03).at()), [{ lr: 0.03 }, { lr: 0.03 }, { lr: 0.03 }]);
    for (const n of [0, -1, NaN]) assert.throws(() => new OneCycle({ maxLr: 0.1, totalSteps: n }), /OneCycle: totalSteps must be positive/);
    assert.doesNotThrow(() => new OneCycle({ maxLr: 0.1, totalSteps: 1 }));
  });
});
