// SGD with momentum (heavy-ball or Nesterov) and L2 weight decay, PyTorch's update rule, with an
// optional 0/1 mask per variable: masked gradients, velocities and weights stay exactly zero.
//   d = g (masked) + weightDecay * w
//   v = momentum * v + d
//   step = nesterov ? d + momentum * v : v        (momentum 0: step = d)
//   w = (w - lr * step) (masked)
// The velocities are plain Float32 state (`getState`/`setState`) so a checkpoint restores them.
// The arithmetic is @kdlts/backend's fused sgdUpdate op.
import * as tf from '@tensorflow/tfjs-core';
import { sgdUpdate } from '@kdlts/backend';

export interface SgdConfig {
  /** Default 0 (plain SGD). */
  momentum?: number;
  /** Nesterov momentum (default false); needs momentum > 0. */
  nesterov?: boolean;
  /** L2 weight decay added to the gradient of every parameter (default 0). */
  weightDecay?: number;
}

export interface SgdParam {
  /** Stable name (checkpoint key). */
  name: string;
  variable: tf.Variable;
  /** 0/1 values shaped like the variable; masked entries stay exactly 0. */
  mask?: tf.Tensor;
}

export function validateSgdConfig(c: SgdConfig): void {
  const m = c.momentum ?? 0;
  const wd = c.weightDecay ?? 0;
  if (!(Number.isFinite(m) && m >= 0 && m < 1)) throw new RangeError(`momentum must be in [0, 1), got ${m}`);
  if (!(Number.isFinite(wd) && wd >= 0)) throw new RangeError(`weightDecay must be a finite number >= 0, got ${wd}`);
  if (c.nesterov && m === 0) throw new RangeError('nesterov needs momentum > 0');
}

export class MaskedSgd {
  private readonly velocities = new Map<string, tf.Variable>();
  private readonly momentum: number;
  private readonly nesterov: boolean;
  private readonly weightDecay: number;

  constructor(private readonly params: SgdParam[], config: SgdConfig = {}) {
    validateSgdConfig(config);
    this.momentum = config.momentum ?? 0;
    this.nesterov = config.nesterov ?? false;
    this.weightDecay = config.weightDecay ?? 0;
    const names = new Set<string>();
    for (const p of params) {
      if (names.has(p.name)) throw new Error(`MaskedSgd: parameter name '${p.name}' appears twice`);
      names.add(p.name);
      if (p.mask && !tf.util.arraysEqual(p.mask.shape, p.variable.shape)) {
        throw new Error(`MaskedSgd: mask of '${p.name}' has shape [${p.mask.shape}], the variable [${p.variable.shape}]`);
      }
      if (this.momentum > 0) this.velocities.set(p.name, tf.variable(tf.zerosLike(p.variable), false));
    }
  }

  /**
   * One step with `grads` keyed by tf.Variable name (as tf.variableGrads returns them): the fused
   * `sgdUpdate` op of @kdlts/backend, one native pass per variable on the kdlts backend and the
   * same float32 operations, in the same order, elsewhere.
   */
  step(grads: tf.NamedTensorMap, lr: number): void {
    const attrs = { lr, momentum: this.momentum, weightDecay: this.weightDecay, nesterov: this.nesterov };
    for (const p of this.params) {
      const g = grads[p.variable.name];
      if (g === undefined) throw new Error(`MaskedSgd: no gradient for '${p.name}'`);
      const v = this.velocities.get(p.name) ?? null;
      const next = sgdUpdate(p.variable, g, v, p.mask ?? null, attrs);
      p.variable.assign(next.w);
      if (v && next.v) v.assign(next.v);
      tf.dispose([next.w, next.v].filter((t): t is tf.Tensor => t !== null));
    }
  }

  /** Velocity state by parameter name (empty without momentum). */
  getState(): Map<string, { shape: number[]; values: Float32Array }> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, v] of this.velocities) out.set(name, { shape: v.shape.slice(), values: v.dataSync() as Float32Array });
    return out;
  }

  /** Restores getState()'s output; every velocity must be present with its shape. */
  setState(state: ReadonlyMap<string, { shape: number[]; values: Float32Array }>): void {
    for (const [name, v] of this.velocities) {
      const s = state.get(name);
      if (s === undefined) throw new Error(`MaskedSgd: optimizer state has no velocity for '${name}'`);
      if (!tf.util.arraysEqual(s.shape, v.shape)) {
        throw new Error(`MaskedSgd: velocity '${name}' has shape [${s.shape}] in the state, [${v.shape}] here`);
      }
      v.assign(tf.tensor(s.values, v.shape, 'float32'));
    }
  }

  dispose(): void {
    for (const v of this.velocities.values()) v.dispose();
    this.velocities.clear();
  }
}
