// Per-layer seeds derived from one model seed, so that a model built twice from the same seed
// has bitwise the same initial weights, and its layers are not initialized from one stream.
import * as tfl from '@tensorflow/tfjs-layers';

/** A 31-bit seed for layer `index` of a model seeded with `seed` (a splitmix32-style hash). */
export function deriveSeed(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

type Initializer = ReturnType<typeof tfl.initializers.heNormal>;

/**
 * Hands out seeded initializers in build order: the n-th call gets deriveSeed(seed, n). A model
 * file must therefore create its layers in a fixed order (it does: a build is straight-line code).
 */
export class SeededInit {
  private next = 0;
  constructor(private readonly seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  }

  /** He normal (truncated, stddev sqrt(2 / fan_in)): for layers followed by a ReLU. */
  he(): Initializer {
    return tfl.initializers.heNormal({ seed: deriveSeed(this.seed, this.next++) });
  }

  /** Glorot uniform: for the classifier (no ReLU after it). */
  glorot(): Initializer {
    return tfl.initializers.glorotUniform({ seed: deriveSeed(this.seed, this.next++) });
  }
}
