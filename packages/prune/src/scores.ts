// Elementwise helpers the strategies build their scores with, as plain loops: typed-array
// `from` / `forEach` with a callback are several times slower in V8 at millions of elements.
// Globals (Math.abs, Infinity) are read once: under jest's sandboxed global object each lookup in
// a loop costs ~40x.
const { abs } = Math;
const MINUS_INFINITY = -Infinity;

/** |a * b| elementwise (float32 results). */
export function absProduct(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = abs(a[i] * b[i]);
  return out;
}

/** a * b elementwise (float32 results). */
export function product(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i];
  return out;
}

/** |a| elementwise. */
export function absolute(a: ArrayLike<number>): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = abs(a[i]);
  return out;
}

/** Sets scores[i] = -Infinity wherever bits[i] is 0, in place: those weights rank last. */
export function rankMaskedLast(scores: Float32Array, bits: Uint8Array): void {
  for (let i = 0; i < scores.length; i++) if (bits[i] === 0) scores[i] = MINUS_INFINITY;
}
