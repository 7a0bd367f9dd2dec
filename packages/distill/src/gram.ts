// The relation term's Gram matrices as a tfjs op: G_l = F^_l F^_lᵀ for every tap l at once, where
// F_l is the tap's output flattened to [B, D_l] and F^_l has its rows L2-normalised. Forward and
// backward (dF = through the normalisation of (dG + dGᵀ) F^) run in ONE batched call of the
// native core each; tf.customGrad makes the op compose with autodiff, so the student's loss can
// be differentiated through it.
import * as tf from '@tensorflow/tfjs-core';
import { gramMatrices as nativeGram, gramMatricesBackward as nativeGramBackward } from '@kdlts/native';

export interface GramOptions {
  /** L2-normalise the rows first (default true: the similarity-preserving form). */
  normalize?: boolean;
  /** Norm floor (default 1e-12). */
  eps?: number;
}

/** Checks the feature tensors and returns their shared batch size. */
function checkFeatures(features: tf.Tensor[], fn: string): number {
  if (features.length === 0) throw new RangeError(`${fn}: no features given`);
  const batch = features[0].shape[0];
  features.forEach((f, i) => {
    if (f.rank < 2) throw new RangeError(`${fn}: features[${i}] has shape [${f.shape}], expected [batch, ...]`);
    if (f.shape[0] !== batch) throw new RangeError(`${fn}: features[${i}] has batch ${f.shape[0]}, features[0] has ${batch}`);
    if (f.dtype !== 'float32') throw new TypeError(`${fn}: features[${i}] is ${f.dtype}, expected float32`);
  });
  return batch;
}

const values = (t: tf.Tensor) => t.dataSync() as Float32Array;

/**
 * The Gram matrices of every tap as one [L, B, B] tensor (L = features.length). Differentiable
 * with respect to every feature tensor.
 */
export function gramMatrices(features: tf.Tensor[], options: GramOptions = {}): tf.Tensor3D {
  const normalize = options.normalize ?? true;
  const eps = options.eps ?? 1e-12;
  const batch = checkFeatures(features, 'gramMatrices');
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, features.length) as tf.Tensor[];
    const save = args[features.length] as tf.GradSaveFunc;
    const grams = nativeGram(inputs.map(values), batch, { normalize, eps });
    save(inputs);
    return {
      value: tf.tensor3d(grams, [inputs.length, batch, batch]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const grads = nativeGramBackward(saved.map(values), values(dy), batch, { normalize, eps });
        return grads.map((g, i) => tf.tensor(g, saved[i].shape, 'float32'));
      },
    };
  });
  return op(...features) as tf.Tensor3D;
}
