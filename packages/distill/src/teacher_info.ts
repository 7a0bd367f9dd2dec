// The teachers' lottery-ticket information on one batch (METHOD.md step 2), in inference mode and
// outside any gradient: the ensemble's averaged softened probabilities, per tap the mean of the
// teachers' normalised features, and per tap the mean of their Gram matrices -- computed for every
// tap of every teacher in ONE batched native call.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { gramMatrices as nativeGram } from '@kdlts/native';

import { normalizeRows, softTargets, type TeacherTargets } from './losses';

/**
 * `teachers` are tap models (outputs [logits, ...taps], as @kdlts/models' buildWithTaps gives),
 * all with the same taps. The caller disposes the returned tensors.
 */
export function teacherTargets(teachers: tfl.LayersModel[], x: tf.Tensor, tau: number): TeacherTargets {
  if (teachers.length === 0) throw new RangeError('teacherTargets: no teachers given');
  const taps = teachers[0].outputs.length - 1;
  if (taps < 1) throw new RangeError('teacherTargets: the teacher models have no tap outputs (use buildWithTaps)');
  teachers.forEach((t, i) => {
    if (t.outputs.length !== taps + 1) throw new RangeError(`teacherTargets: teacher ${i} has ${t.outputs.length - 1} taps, teacher 0 has ${taps}`);
  });
  const batch = x.shape[0];
  const outputs = teachers.map((t) => t.apply(x, { training: false }) as tf.Tensor[]);
  try {
    const probs = softTargets(outputs.map((o) => o[0]), tau);
    const features = Array.from({ length: taps }, (_, l) =>
      tf.tidy(() => tf.div(tf.addN(outputs.map((o) => normalizeRows(o[l + 1]))), teachers.length) as tf.Tensor2D),
    );
    // Blocks ordered teacher-major: block t * taps + l is teacher t's tap l.
    const blocks = outputs.flatMap((o) => o.slice(1).map((f) => f.dataSync() as Float32Array));
    const all = nativeGram(blocks, batch, { normalize: true });
    const bb = batch * batch;
    const mean = new Float32Array(taps * bb);
    for (let t = 0; t < teachers.length; t++) {
      for (let i = 0; i < taps * bb; i++) mean[i] += all[t * taps * bb + i];
    }
    for (let i = 0; i < mean.length; i++) mean[i] /= teachers.length;
    return { probs, tau, features, grams: tf.tensor3d(mean, [taps, batch, batch]) };
  } finally {
    tf.dispose(outputs);
  }
}

export function disposeTargets(t: TeacherTargets): void {
  tf.dispose([t.probs, ...t.features, t.grams]);
}
