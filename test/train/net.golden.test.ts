// The whole reference network against PyTorch: one training forward/backward from fixed weights,
// evaluation mode, and three optimiser steps of SGD, SGD+Nesterov, Adam and AdamW.
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { loadStateDict } from '../../src/io/model-file.js';
import type { NamedTensor } from '../../src/io/safetensors.js';
import { seed16k } from '../../src/models/seed16k.js';
import type { Module } from '../../src/nn/module.js';
import { nllLoss } from '../../src/ops/loss.js';
import { Adam } from '../../src/optim/adam.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { OneCycle, StepLR } from '../../src/optim/schedule.js';
import { SGD } from '../../src/optim/sgd.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose, golden, maxAbs } from '../helpers.js';

const net = golden('net_step');
const opt = golden('optim');

function freshNet(): Module {
  const model = seed16k({ initRng: new Rng(0), dropoutRng: new Rng(0), dropout: 0 });
  const init = new Map<string, NamedTensor>();
  for (const [name, t] of model.stateDict()) init.set(name, { shape: [...t.shape], data: net.get(`init.${name}`) });
  loadStateDict(model, init, 'net_step');
  return model;
}

function batch(): Tensor {
  return Tensor.from(net.get('x'), [8, 1, 28, 28]);
}

describe('reference network vs PyTorch', () => {
  after(closeEngine);
  for (const threads of [1, 2]) {
    it(`training step, ${threads} thread(s)`, () => {
      initEngine({ threads });
      const model = freshNet().train();
      const logp = model.forward(batch());
      expectClose(logp.data(), net.get('logp'), 'logp', 1e-4, 1e-5);
      const loss = nllLoss(logp, net.get('target'));
      expectClose([loss.item()], net.get('loss'), 'loss', 1e-5);
      loss.backward();
      for (const [name, p] of model.namedParameters()) {
        const want = net.get(`grad.${name}`);
        // conv biases before BatchNorm have exactly zero gradient: float32 noise only.
        const atol = /^conv[1-4]\.bias$/.test(name) ? 1e-5 : 2e-5 * maxAbs(want);
        expectClose(p.grad()!, want, `grad.${name}`, 1e-3, atol);
      }
      for (const [name, t] of model.namedBuffers()) expectClose(t.data(), net.get(`after.${name}`), name, 1e-4, 1e-6);
    });
  }
  it('evaluation mode', () => {
    initEngine({ threads: 2 });
    const model = freshNet().eval();
    noGrad(() => expectClose(model.forward(batch()).data(), net.get('eval_logp'), 'eval_logp', 1e-4, 1e-5));
  });

  // [prefix, optimiser, rtol, absolute tolerance on final weights, tensors to skip]
  const optimizers: Array<[string, (m: Module) => Optimizer, number, number, RegExp | null]> = [
    ['sgd', (m) => new SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), 1e-3, 3e-4, null], // ReLU flip below float32 resolution: fixtures README
    ['sgdn', (m) => new SGD(m.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }), 1e-4, 0, null],
    ['adam', (m) => new Adam(m.parameters(), { lr: 0.01 }), 1e-4, 0, /^(conv[1-4]\.bias|bn[1-4]\.running_mean)$/],
    ['adamw', (m) => new Adam(m.parameters(), { lr: 0.01, weightDecay: 0.01, decoupled: true }), 1e-4, 0, /^(conv[1-4]\.bias|bn[1-4]\.running_mean)$/],
  ];
  for (const [prefix, make, rtol, atolWeights, skip] of optimizers) {
    it(`3 steps of ${prefix}`, () => {
      initEngine({ threads: 2 });
      const model = freshNet().train();
      const o = make(model);
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        const e = initEngine({ threads: 2 });
        const mark = e.arena.mark();
        const loss = nllLoss(model.forward(batch()), net.get('target'));
        losses.push(loss.item());
        o.zeroGrad();
        loss.backward();
        o.step();
        e.arena.release(mark);
      }
      expectClose(losses, opt.get(`${prefix}.loss`), 'losses', rtol, 1e-6);
      for (const [name, t] of model.stateDict()) {
        if (skip?.test(name)) continue; // Adam amplifies float32 noise in zero-gradient biases (fixtures README)
        const want = opt.get(`${prefix}.${name}`);
        expectClose(t.data(), want, `${prefix}.${name}`, rtol * 10, Math.max(atolWeights, rtol * maxAbs(want)));
      }
    });
  }
});

describe('schedules vs PyTorch', () => {
  const s = golden('schedule');
  it('OneCycleLR, 50 steps', () => {
    const oc = new OneCycle({ maxLr: 0.05, totalSteps: 50, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 });
    const lr = Array.from({ length: 50 }, (_, i) => oc.at(i).lr);
    const mom = Array.from({ length: 50 }, (_, i) => oc.at(i).momentum!);
    expectClose(lr, s.get('onecycle.lr'), 'lr', 1e-5, 1e-9);
    expectClose(mom, s.get('onecycle.momentum'), 'momentum', 1e-6);
  });
  it('StepLR, 10 epochs', () => {
    const st = new StepLR(0.1, 3, 0.5);
    expectClose(Array.from({ length: 10 }, (_, i) => st.at(i).lr), s.get('steplr.lr'), 'lr', 1e-6);
  });
});
