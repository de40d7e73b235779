// Weight EMA: an exponential moving average of the parameters over training steps (Polyak averaging;
// PyTorch's torch.optim.swa_utils.AveragedModel with an EMA avg_fn, timm's ModelEmaV2), which the
// evaluations and the saved model use instead of the last step's weights. Training itself always
// continues from the raw weights, so a run with the average differs from one without only in what
// is scored and saved. BatchNorm statistics are not averaged: the recipe re-estimates them for the
// averaged weights before every evaluation (precise BatchNorm), which is why an EMA needs
// bnRecalibrate > 0.
import type { Tensor } from '../tensor/tensor.js';

export class WeightEma {
  /** One float32 copy per parameter, in the order of `params`. */
  readonly shadow: Float32Array[];

  constructor(readonly params: readonly Tensor[], readonly decay: number) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`EMA decay must be in (0, 1), got ${decay}`);
    // Starts at the initial weights, as AveragedModel's first update copies them.
    this.shadow = params.map((p) => p.data().slice());
  }

  /** After an optimiser step: shadow = decay·shadow + (1 − decay)·w, per element, rounded to float32. */
  update(): void {
    const d = this.decay, c = 1 - d;
    this.params.forEach((p, i) => {
      const w = p.data(), s = this.shadow[i]!;
      for (let k = 0; k < s.length; k++) s[k] = d * s[k]! + c * w[k]!;
    });
  }

  /** Exchanges the parameters' values with the average (its own inverse: call again to restore). */
  swap(): void {
    this.params.forEach((p, i) => {
      const w = p.data(), s = this.shadow[i]!;
      const tmp = w.slice();
      w.set(s);
      s.set(tmp);
    });
  }

  /** fn with the averaged weights in the parameters; the raw ones are back afterwards, bit for bit. */
  with<T>(fn: () => T): T {
    this.swap();
    try {
      return fn();
    } finally {
      this.swap();
    }
  }
}

/** fn with the weights a recipe scores and saves: the average when there is one, else the raw weights. */
export function withScoredWeights<T>(ema: WeightEma | null, fn: () => T): T {
  return ema ? ema.with(fn) : fn();
}
