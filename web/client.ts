// The page's side of an engine worker: typed calls over postMessage, one promise per call, events
// of a training job passed to a callback. Starting a worker per role keeps drawing responsive while
// another worker trains.
import type { CallName, Calls, Reply, Request, TrainEvent } from './protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onEvent?: (e: TrainEvent) => void;
}

export class EngineClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;

  constructor(script: string | URL, name: string) {
    this.worker = new Worker(script, { name });
    this.worker.onmessage = (ev: MessageEvent<Reply>) => this.receive(ev.data);
    this.worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      this.fail(new Error(`${name} worker: ${ev.message || 'failed to load'}`));
    };
  }

  call<K extends CallName>(type: K, args: Calls[K][0], transfer: Transferable[] = [], onEvent?: (e: TrainEvent) => void): Promise<Calls[K][1]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<Calls[K][1]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent });
      const request: Request<K> = { id, type, args };
      this.worker.postMessage(request, transfer);
    });
  }

  /** Stops the worker (and its pool); pending calls reject with `reason`. */
  terminate(reason = 'stopped'): void {
    this.worker.terminate();
    this.fail(new Error(reason));
  }

  private receive(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    if ('event' in reply) {
      p.onEvent?.(reply.event);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new Error(reply.error));
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
