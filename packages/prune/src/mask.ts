// A pruning mask over a model's prunable weights: one 0/1 array per `<layer>/kernel`, row-major
// like the tfjs variable it covers, in model order. Layers are keyed by PrunableWeight.name (stable
// across builds), so a mask saved from one build applies to another build of the same model.
import * as tf from '@tensorflow/tfjs-core';
import type { PrunableWeight } from '@kdlts/models';

export interface MaskLayer {
  /** The PrunableWeight name, `<layer>/kernel`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** One 0/1 byte per element, row-major (the variable's layout). */
  readonly bits: Uint8Array;
}

/** What a mask is laid over: a name and a shape per layer (a PrunableWeight, or a MaskLayer). */
export interface LayerLayout {
  readonly name: string;
  readonly shape: readonly number[];
}

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function firstNonBinary(bits: Uint8Array): number {
  for (let i = 0; i < bits.length; i++) if (bits[i] > 1) return i;
  return -1;
}

export function countOnes(bits: Uint8Array): number {
  let ones = 0;
  for (let i = 0; i < bits.length; i++) ones += bits[i];
  return ones;
}

export class Mask {
  readonly layers: readonly MaskLayer[];
  private readonly byName: Map<string, MaskLayer>;

  /** Takes ownership of the bit arrays (no copy); checks names, shapes and that every bit is 0 or 1. */
  constructor(layers: readonly MaskLayer[]) {
    this.byName = new Map();
    for (const layer of layers) {
      if (this.byName.has(layer.name)) throw new Error(`mask: layer '${layer.name}' appears twice`);
      if (!layer.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new Error(`mask: layer '${layer.name}' has an invalid shape ${formatShape(layer.shape)}`);
      }
      const size = sizeOfShape(layer.shape);
      if (layer.bits.length !== size) {
        throw new Error(`mask: layer '${layer.name}' has ${layer.bits.length} bits for shape ${formatShape(layer.shape)} (${size} elements)`);
      }
      const bad = firstNonBinary(layer.bits);
      if (bad >= 0) throw new Error(`mask: layer '${layer.name}' element ${bad} is ${layer.bits[bad]} (bits must be 0 or 1)`);
      this.byName.set(layer.name, { name: layer.name, shape: [...layer.shape], bits: layer.bits });
    }
    this.layers = [...this.byName.values()];
  }

  /** All ones (nothing pruned) over these weights. */
  static ones(layout: readonly LayerLayout[]): Mask {
    return new Mask(layout.map(({ name, shape }) => ({ name, shape, bits: new Uint8Array(sizeOfShape(shape)).fill(1) })));
  }

  /** Cuts one concatenated 0/1 array (layers in layout order) into a mask; copies the bits. */
  static fromFlat(layout: readonly LayerLayout[], flat: Uint8Array): Mask {
    const total = layout.reduce((n, l) => n + sizeOfShape(l.shape), 0);
    if (flat.length !== total) throw new Error(`mask: ${flat.length} bits for layers holding ${total} elements`);
    let start = 0;
    return new Mask(
      layout.map(({ name, shape }) => {
        const size = sizeOfShape(shape);
        const bits = flat.slice(start, start + size);
        start += size;
        return { name, shape, bits };
      }),
    );
  }

  /** Total number of elements (n). */
  get size(): number {
    return this.layers.reduce((n, l) => n + l.bits.length, 0);
  }

  /** Number of kept (1) elements (k). */
  count(): number {
    return this.layers.reduce((n, l) => n + countOnes(l.bits), 0);
  }

  /** k / n over all layers; 1 for a mask over no elements (nothing is pruned). */
  density(): number {
    const size = this.size;
    return size === 0 ? 1 : this.count() / size;
  }

  /** Per layer, in layer order: kept / size (1 for an empty layer). */
  layerDensities(): Map<string, number> {
    return new Map(this.layers.map((l) => [l.name, l.bits.length === 0 ? 1 : countOnes(l.bits) / l.bits.length]));
  }

  layer(name: string): MaskLayer | undefined {
    return this.byName.get(name);
  }

  /** The bits of every layer concatenated in layer order (a copy). */
  flat(): Uint8Array {
    const out = new Uint8Array(this.size);
    let start = 0;
    for (const l of this.layers) {
      out.set(l.bits, start);
      start += l.bits.length;
    }
    return out;
  }

  /** Name -> bits (the arrays themselves, not copies): what the masked training loop takes. */
  toMap(): Map<string, Uint8Array> {
    return new Map(this.layers.map((l) => [l.name, l.bits]));
  }

  /** Elementwise AND (a weight survives when both masks keep it); both masks must have the same layers in the same order. */
  and(other: Mask): Mask {
    const problem = layoutDifference(this.layers, other.layers, 'this mask', 'the other mask', true);
    if (problem) throw new Error(`mask.and: the masks differ: ${problem}`);
    return new Mask(
      this.layers.map((l, i) => {
        const b = other.layers[i].bits;
        const bits = new Uint8Array(l.bits.length);
        for (let j = 0; j < bits.length; j++) bits[j] = l.bits[j] & b[j];
        return { name: l.name, shape: l.shape, bits };
      }),
    );
  }

  equals(other: Mask): boolean {
    if (layoutDifference(this.layers, other.layers, 'a', 'b', true) !== null) return false;
    return this.layers.every((l, i) => l.bits.every((b, j) => b === other.layers[i].bits[j]));
  }

  /**
   * Throws unless the mask covers exactly these weights (same names, same shapes; order free):
   * the message names each missing or extra layer and each shape that differs.
   */
  checkMatches(prunable: readonly LayerLayout[]): void {
    const problem = layoutDifference(this.layers, prunable, 'the mask', 'the model', false);
    if (problem) throw new Error(`mask does not match the model's prunable weights: ${problem}`);
  }

  /**
   * Sets every masked weight of the model to exactly 0 (+0), in place; kept weights are left
   * bitwise as they were. The mask must match the weights (checkMatches).
   */
  applyTo(prunable: readonly PrunableWeight[]): void {
    this.checkMatches(prunable);
    for (const p of prunable) {
      const layer = this.byName.get(p.name)!;
      tf.tidy(() => {
        const w = p.variable.read();
        const keep = tf.tensor(layer.bits, w.shape, 'bool');
        p.variable.write(tf.where(keep, w, tf.zerosLike(w)));
      });
    }
  }
}

/**
 * Why two layouts differ (null when they do not): names missing from either side, then shapes
 * that differ; with `ordered`, the same names in another order also count.
 */
export function layoutDifference(
  ours: readonly LayerLayout[],
  theirs: readonly LayerLayout[],
  oursLabel: string,
  theirsLabel: string,
  ordered: boolean,
): string | null {
  const theirsByName = new Map(theirs.map((l) => [l.name, l]));
  const oursNames = new Set(ours.map((l) => l.name));
  const problems: string[] = [];
  const missing = theirs.filter((l) => !oursNames.has(l.name)).map((l) => `'${l.name}'`);
  const extra = ours.filter((l) => !theirsByName.has(l.name)).map((l) => `'${l.name}'`);
  if (missing.length) problems.push(`missing from ${oursLabel}: ${missing.join(', ')}`);
  if (extra.length) problems.push(`not in ${theirsLabel}: ${extra.join(', ')}`);
  for (const l of ours) {
    const t = theirsByName.get(l.name);
    if (t && !sameShape(l.shape, t.shape)) {
      problems.push(`layer '${l.name}': ${oursLabel} has shape ${formatShape(l.shape)}, ${theirsLabel} ${formatShape(t.shape)}`);
    }
  }
  if (!problems.length && ordered && ours.some((l, i) => l.name !== theirs[i].name)) {
    problems.push(`layer order differs (${ours.map((l) => l.name).join(', ')} vs ${theirs.map((l) => l.name).join(', ')})`);
  }
  return problems.length ? problems.join('; ') : null;
}
