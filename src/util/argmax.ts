// The predicted class: index of the largest value (the first one on ties), shared by training's
// accuracy count and inference.

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
