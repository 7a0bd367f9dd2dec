// The standard CIFAR augmentation: random crop from the image zero-padded by 4 pixels, then a
// horizontal flip with probability 1/2. Seeded, NHWC, any typed array.
import { toRng, type Rng } from './prng';
import { allocLike } from './transforms';
import type { ImageShape } from './types';

type Pixels = Float32Array | Uint8Array;

/**
 * One image (h*w*c at `src[from..]`) cropped at offset (dy, dx) of its `pad`-padded version, then
 * mirrored left-right if `flip`; written to `dst[to..]`. Offsets run 0..2*pad (pad, pad = identity).
 */
export function cropFlip(
  src: Pixels, from: number, dst: Pixels, to: number,
  shape: ImageShape, pad: number, dy: number, dx: number, flip: boolean,
): void {
  const [h, w, c] = shape;
  for (let y = 0; y < h; y++) {
    const sy = y + dy - pad;
    for (let x = 0; x < w; x++) {
      const sx = (flip ? w - 1 - x : x) + dx - pad;
      const o = to + (y * w + x) * c;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) dst[o + k] = 0;
      } else {
        const s = from + (sy * w + sx) * c;
        for (let k = 0; k < c; k++) dst[o + k] = src[s + k];
      }
    }
  }
}

export interface AugmentOptions {
  /** Zero padding before the random crop (default 4; 0 disables cropping). */
  padding?: number;
  /** Random horizontal flips (default true). */
  flip?: boolean;
}

/** A new array of the same type and shape with every image augmented independently. */
export function augment<P extends Pixels>(images: P, shape: ImageShape, seed: number | Rng, options: AugmentOptions = {}): P {
  const rng = toRng(seed);
  const pad = options.padding ?? 4;
  const doFlip = options.flip ?? true;
  const per = shape[0] * shape[1] * shape[2];
  const n = images.length / per;
  const out = allocLike(images, images.length);
  for (let i = 0; i < n; i++) {
    const dy = rng.int(2 * pad + 1);
    const dx = rng.int(2 * pad + 1);
    const flip = doFlip && rng.next() < 0.5;
    cropFlip(images, i * per, out, i * per, shape, pad, dy, dx, flip);
  }
  return out;
}
