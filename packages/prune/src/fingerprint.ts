// The fingerprint of a multi-stage run (IMP, KD-LTS): a hash of everything its result depends on
// (settings, training configuration, the initial weights θ0, the data), stored in every stage's
// record so that a directory written by a run with other settings is refused, never reused.
import { createHash } from 'crypto';
import type { TensorBundle, TrainConfig, TrainData } from '@kdlts/train';

export interface FingerprintInput {
  modelName: string;
  settings: object;
  config: TrainConfig;
  data: TrainData;
  theta0: TensorBundle;
}

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** 16 hex digits of SHA-256 over the settings, the config, θ0, the labels and the first 64 KiB of images. */
export function runFingerprint(input: FingerprintInput): string {
  const { data, config, settings } = input;
  const h = createHash('sha256');
  h.update(JSON.stringify({
    model: input.modelName, settings, config,
    data: { count: data.train.count, shape: data.train.shape, classes: data.train.numClasses, testCount: data.test?.count ?? 0, stats: data.stats ?? null },
  }));
  for (const [name, t] of input.theta0) h.update(name).update(bytes(t.values));
  h.update(bytes(data.train.labels));
  h.update(bytes(data.train.images.subarray(0, Math.min(data.train.images.length, 1 << 16))));
  return h.digest('hex').slice(0, 16);
}
