// Masks for training: a 0/1 array per prunable weight (keyed by its `<layer>/kernel` name, values
// in the variable's row-major order), checked against the model and turned into tensors.
import * as tf from '@tensorflow/tfjs-core';
import type { PrunableWeight } from '@kdlts/models';

/** What the training loop takes; @kdlts/prune's Mask provides one through `toMap()`. */
export type WeightMask = ReadonlyMap<string, Uint8Array>;

/**
 * Checks every mask entry names a prunable weight, has its element count and holds only 0 and 1;
 * returns 0/1 float32 tensors keyed by name (the caller disposes them). Weights without an entry
 * are not masked.
 */
export function maskTensors(mask: WeightMask, prunable: PrunableWeight[]): Map<string, tf.Tensor> {
  const byName = new Map(prunable.map((p) => [p.name, p]));
  for (const name of mask.keys()) {
    if (!byName.has(name)) {
      throw new Error(`mask entry '${name}' is not a prunable weight of the model (prunable: ${[...byName.keys()].join(', ')})`);
    }
  }
  const out = new Map<string, tf.Tensor>();
  for (const [name, bits] of mask) {
    const p = byName.get(name)!;
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (bits.length !== size) throw new Error(`mask entry '${name}' has ${bits.length} values, the weight [${p.shape}] has ${size}`);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const b = bits[i];
      if (b !== 0 && b !== 1) throw new Error(`mask entry '${name}' holds ${b} at index ${i} (only 0 and 1 are allowed)`);
      values[i] = b;
    }
    out.set(name, tf.tensor(values, p.shape, 'float32'));
  }
  return out;
}

/** Multiplies each masked weight by its mask, so masked entries are exactly 0. */
export function applyMaskTensors(masks: ReadonlyMap<string, tf.Tensor>, prunable: PrunableWeight[]): void {
  for (const p of prunable) {
    const m = masks.get(p.name);
    if (m) tf.tidy(() => {
      p.variable.write(tf.mul(p.variable.read(), m));
    });
  }
}

/** Fraction of kept entries over the masked weights (1 without a mask). */
export function maskDensity(mask: WeightMask | undefined): number {
  if (!mask || mask.size === 0) return 1;
  let kept = 0;
  let total = 0;
  for (const bits of mask.values()) {
    total += bits.length;
    for (let i = 0; i < bits.length; i++) kept += bits[i];
  }
  return total === 0 ? 1 : kept / total;
}
