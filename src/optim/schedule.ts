// Learning-rate schedules as pure functions of the step (or epoch): the trainer asks for the value
// before each update, so resuming from a checkpoint needs only the step number.

export interface ScheduleValue {
  lr: number;
  /** SGD momentum or Adam β1, when the schedule cycles it. */
  momentum?: number;
}

export interface Schedule {
  at(step: number): ScheduleValue;
}

export interface OneCycleOptions {
  maxLr: number;
  totalSteps: number;
  pctStart?: number;
  divFactor?: number;
  finalDivFactor?: number;
  baseMomentum?: number;
  maxMomentum?: number;
  cycleMomentum?: boolean;
}

function cosAnneal(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/** torch.optim.lr_scheduler.OneCycleLR, two phases, cosine annealing. */
export class OneCycle implements Schedule {
  private readonly phases: Array<{ end: number; lr: [number, number]; mom: [number, number] }>;
  private readonly cycleMomentum: boolean;

  constructor(o: OneCycleOptions) {
    if (!(o.totalSteps > 0)) throw new Error(`OneCycle: totalSteps must be positive, got ${o.totalSteps}`);
    const initial = o.maxLr / (o.divFactor ?? 25);
    const min = initial / (o.finalDivFactor ?? 1e4);
    const base = o.baseMomentum ?? 0.85, max = o.maxMomentum ?? 0.95;
    this.cycleMomentum = o.cycleMomentum ?? true;
    this.phases = [
      { end: (o.pctStart ?? 0.3) * o.totalSteps - 1, lr: [initial, o.maxLr], mom: [max, base] },
      { end: o.totalSteps - 1, lr: [o.maxLr, min], mom: [base, max] },
    ];
  }

  at(step: number): ScheduleValue {
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const ph = this.phases[i]!;
      if (step <= ph.end || i === this.phases.length - 1) {
        // Past the last step (a resumed run extended with --epochs) the schedule stays at its end.
        const pct = Math.min((step - start) / (ph.end - start), 1);
        const lr = cosAnneal(ph.lr[0], ph.lr[1], pct);
        return this.cycleMomentum ? { lr, momentum: cosAnneal(ph.mom[0], ph.mom[1], pct) } : { lr };
      }
      start = ph.end;
    }
    throw new Error('unreachable');
  }
}

/** torch.optim.lr_scheduler.StepLR, indexed by epoch. */
export class StepLR implements Schedule {
  constructor(readonly baseLr: number, readonly stepSize: number, readonly gamma = 0.1) {}
  at(epoch: number): ScheduleValue {
    return { lr: this.baseLr * this.gamma ** Math.floor(epoch / this.stepSize) };
  }
}

export class ConstantLR implements Schedule {
  constructor(readonly lr: number) {}
  at(): ScheduleValue {
    return { lr: this.lr };
  }
}
