// tidy(fn): runs fn and frees every tensor it made, like TensorFlow.js's tf.tidy, so a hand-written
// training loop does not grow wasm memory step after step. The arena is a bump allocator (engine/
// arena.ts): everything allocated inside fn is above a mark and goes at once. A Tensor that fn
// returns survives: its values move down to the mark (a copy within wasm memory), without its
// autograd graph, whose buffers are gone. Parameters and optimiser state live below any step's mark,
// so fn may update them freely.
import { engine } from '../engine/wasm.js';
import { Tensor } from './tensor.js';

export function tidy<T>(fn: () => T): T {
  const e = engine();
  const mark = e.arena.mark();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    e.arena.release(mark);
    throw err;
  }
  e.arena.release(mark);
  if (!(result instanceof Tensor)) return result;
  if (result.ptr < mark) return result; // made before fn (a parameter): nothing to move
  const kept = Tensor.empty(result.shape); // at the mark, at or below result's values
  e.f32().copyWithin(kept.ptr >> 2, result.ptr >> 2, (result.ptr >> 2) + result.size);
  return kept as T;
}
