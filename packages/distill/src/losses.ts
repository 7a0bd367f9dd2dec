// The three KD-LTS loss terms (METHOD.md, "The mixed-integer problem") and their sum:
//   response:  α·τ²·KL(p_T^τ ‖ p_S^τ), batch mean, p_T^τ the teachers' averaged softened probabilities
//   feature:   β·Σ_l mean_b ‖ν(f_S,b^l) − ν̄_T,b^l‖²,  ν = per-sample L2 normalisation, ν̄ its teacher mean
//   relation:  γ·Σ_l ‖G_S^l − Ḡ_T^l‖²_F / B²
//   (+ an optional label cross-entropy with weight `ce`)
// All take the student's tensors (differentiable) and the teachers' targets (constants).
import * as tf from '@tensorflow/tfjs-core';

import { gramMatrices } from './gram';

/** Per-sample L2 normalisation of features flattened to [B, D] (rows of norm < eps are divided by eps). */
export function normalizeRows(features: tf.Tensor, eps = 1e-12): tf.Tensor2D {
  return tf.tidy(() => {
    const flat = tf.reshape(features, [features.shape[0], -1]) as tf.Tensor2D;
    // A row of norm <= eps (a sample whose features a sparse mask switched off) maps to zeros with a
    // zero gradient: through sqrt it would get 0 · ∞ = NaN, and through 1 / eps a gradient of 1e12.
    const squared = tf.sum(tf.square(flat), 1, true);
    const norm = tf.sqrt(tf.maximum(squared, eps * eps));
    // The row mask is a constant built from the values (tfjs has no gradient for comparisons).
    const limit = eps * eps;
    const live = tf.tensor2d(Float32Array.from(squared.dataSync(), (v) => (v > limit ? 1 : 0)), [flat.shape[0], 1]);
    return tf.mul(tf.div(flat, norm), live) as tf.Tensor2D;
  });
}

/** Softened probabilities softmax(logits / τ), averaged over the given logits (the teachers). */
export function softTargets(logits: tf.Tensor[], tau: number): tf.Tensor2D {
  if (logits.length === 0) throw new RangeError('softTargets: no logits given');
  if (!(tau > 0)) throw new RangeError(`temperature must be > 0, got ${tau}`);
  return tf.tidy(() => tf.div(tf.addN(logits.map((l) => tf.softmax(tf.div(l, tau)))), logits.length) as tf.Tensor2D);
}

/** τ²·KL(p_T ‖ softmax(student/τ)), mean over the batch (terms with p_T = 0 contribute 0). */
export function responseLoss(studentLogits: tf.Tensor, teacherProbs: tf.Tensor, tau: number): tf.Scalar {
  if (!(tau > 0)) throw new RangeError(`temperature must be > 0, got ${tau}`);
  return tf.tidy(() => {
    const logQ = tf.logSoftmax(tf.div(studentLogits, tau));
    const p = teacherProbs;
    const logP = tf.log(tf.maximum(p, 1e-30));
    const kl = tf.sum(tf.mul(p, tf.sub(logP, logQ)), 1);
    return tf.mul(tf.mean(kl), tau * tau) as tf.Scalar;
  });
}

/** Σ_l mean_b ‖ν(F_S^l)_b − target_l,b‖² with target_l the teachers' mean normalised features [B, D_l]. */
export function featureLoss(studentFeatures: tf.Tensor[], teacherNormalized: tf.Tensor[]): tf.Scalar {
  if (studentFeatures.length !== teacherNormalized.length) {
    throw new RangeError(`featureLoss: ${studentFeatures.length} student taps, ${teacherNormalized.length} teacher targets`);
  }
  return tf.tidy(() =>
    tf.addN(studentFeatures.map((f, l) => {
      const diff = tf.sub(normalizeRows(f), teacherNormalized[l]);
      return tf.div(tf.sum(tf.square(diff)), f.shape[0]);
    })) as tf.Scalar,
  );
}

/** Σ_l ‖G_S^l − Ḡ_T^l‖²_F / B², with the student's Grams from the batched native op. */
export function relationLoss(studentFeatures: tf.Tensor[], teacherGrams: tf.Tensor3D): tf.Scalar {
  const batch = studentFeatures[0]?.shape[0] ?? 0;
  if (teacherGrams.shape[0] !== studentFeatures.length || teacherGrams.shape[1] !== batch) {
    throw new RangeError(`relationLoss: teacher Grams [${teacherGrams.shape}] for ${studentFeatures.length} taps of batch ${batch}`);
  }
  return tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(gramMatrices(studentFeatures), teacherGrams))), batch * batch) as tf.Scalar);
}

export interface LossWeights {
  /** Response (KL) weight α (default 1). */
  alpha?: number;
  /** Feature weight β (default 1). */
  beta?: number;
  /** Relation (Gram) weight γ (default 1). */
  gamma?: number;
  /** Label cross-entropy weight (default 0: off). */
  ce?: number;
  /** Temperature τ (default 4). */
  tau?: number;
}

export const DEFAULT_LOSS_WEIGHTS: Required<LossWeights> = { alpha: 1, beta: 1, gamma: 1, ce: 0, tau: 4 };

/** The teachers' lottery-ticket information on one batch (see teacher_info.ts). */
export interface TeacherTargets {
  /** [B, classes]: averaged softened probabilities at temperature tau. */
  probs: tf.Tensor2D;
  tau: number;
  /** Per tap: [B, D_l] mean of the teachers' normalised features. */
  features: tf.Tensor2D[];
  /** [L, B, B]: per tap, mean of the teachers' Gram matrices. */
  grams: tf.Tensor3D;
}

export interface LossParts {
  total: tf.Scalar;
  response: tf.Scalar;
  feature: tf.Scalar;
  relation: tf.Scalar;
  ce: tf.Scalar;
}

/** Every term (each already weighted) and their sum; the caller disposes them. */
export function distillationLoss(
  student: { logits: tf.Tensor; features: tf.Tensor[] },
  targets: TeacherTargets,
  weights: LossWeights = {},
  labels?: tf.Tensor,
): LossParts {
  const w = { ...DEFAULT_LOSS_WEIGHTS, ...weights };
  if (w.tau !== targets.tau) throw new RangeError(`distillationLoss: targets were made at temperature ${targets.tau}, the loss asks for ${w.tau}`);
  for (const [k, v] of Object.entries(w)) if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`loss weight ${k} must be a finite number >= 0, got ${v}`);
  if (w.ce > 0 && !labels) throw new RangeError('distillationLoss: a label cross-entropy weight needs labels');
  const zero = () => tf.scalar(0);
  const response = w.alpha > 0 ? tf.mul(responseLoss(student.logits, targets.probs, w.tau), w.alpha) as tf.Scalar : zero();
  const feature = w.beta > 0 ? tf.mul(featureLoss(student.features, targets.features), w.beta) as tf.Scalar : zero();
  const relation = w.gamma > 0 ? tf.mul(relationLoss(student.features, targets.grams), w.gamma) as tf.Scalar : zero();
  const ce = w.ce > 0
    ? tf.tidy(() => tf.mul(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(labels!, 'int32') as tf.Tensor1D, student.logits.shape[1]!), student.logits), w.ce) as tf.Scalar)
    : zero();
  const total = tf.addN([response, feature, relation, ce]) as tf.Scalar;
  return { total, response, feature, relation, ce };
}
