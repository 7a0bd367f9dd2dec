// A seeded synthetic dataset for tests: each class is a distinct smooth stripe pattern (its own
// frequency, orientation, phase and per-channel tint), samples add a brightness jitter and pixel noise.
import { mulberry32 } from './prng';
import type { Dataset, ImageShape } from './types';

export interface SyntheticOptions {
  count?: number;
  shape?: ImageShape;
  numClasses?: number;
  /** Seeds the class patterns: datasets with the same seed share them (default 0). */
  seed?: number;
  /** Seeds the samples (labels, jitter, noise); default `seed`. */
  sampleSeed?: number;
  /** Pixel noise amplitude, as a fraction of 255 (default 0.1). */
  noise?: number;
}

export function syntheticDataset(options: SyntheticOptions = {}): Dataset<Uint8Array> {
  const count = options.count ?? 1000;
  const shape: ImageShape = options.shape ?? [28, 28, 1];
  const numClasses = options.numClasses ?? 10;
  const seed = options.seed ?? 0;
  const noise = (options.noise ?? 0.1) * 255;
  const [h, w, c] = shape;
  const per = h * w * c;

  const proto = mulberry32(seed);
  const prototypes: Float32Array[] = [];
  for (let k = 0; k < numClasses; k++) {
    const angle = (Math.PI * k) / numClasses + proto.next() * 0.2;
    const freq = 1 + (k % 3) + proto.next();
    const phase = proto.next() * 2 * Math.PI;
    const tint = Array.from({ length: c }, () => 0.5 + proto.next());
    const p = new Float32Array(per);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const u = (Math.cos(angle) * x) / w + (Math.sin(angle) * y) / h;
        const v = Math.sin(2 * Math.PI * freq * u + phase);
        for (let ch = 0; ch < c; ch++) p[(y * w + x) * c + ch] = 128 + 90 * v * tint[ch];
      }
    }
    prototypes.push(p);
  }

  const rng = mulberry32(options.sampleSeed ?? seed ^ 0x5eed);
  const images = new Uint8Array(count * per);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = rng.int(numClasses);
    labels[i] = k;
    const shift = (rng.next() - 0.5) * 40;
    const p = prototypes[k];
    for (let j = 0; j < per; j++) {
      const v = p[j] + shift + (rng.next() * 2 - 1) * noise;
      images[i * per + j] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { images, labels, count, shape, numClasses };
}
