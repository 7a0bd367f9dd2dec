import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { countParams } from './params';
import { buildWithTaps, type ModelWithTaps } from './taps';
import { useCpuBackend } from './testing/cpu';
import { expectPrunable, expectTapLogits, expectTaps } from './testing/taps';
import { vgg16 } from './vgg16';

beforeAll(useCpuBackend);

const conv = (cin: number, cout: number) => 3 * 3 * cin * cout; // no bias: batch norm follows
const WIDTHS = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];
const CONVS = WIDTHS.flatMap((w, s) => w.map((_, c) => `conv${s + 1}_${c + 1}`));

/** FNV-1a (32-bit words) of the float32 bits of vgg16.build({ seed: 42 })'s weights (see the last test). */
const FINGERPRINT = '80c1139b';

/** FNV-1a over 32-bit words, continuing from hash h. */
function fnv1a(h: number, words: Uint32Array): number {
  for (let j = 0; j < words.length; j++) h = Math.imul(h ^ words[j], 0x01000193) >>> 0;
  return h;
}

const bits = (m: tfl.LayersModel) =>
  m.weights.map((w) => {
    const a = w.read().dataSync() as Float32Array;
    return new Uint32Array(a.buffer, a.byteOffset, a.length);
  });

// VGG-16 has 14.7M parameters and takes ~8 s to initialize on the cpu backend: built once here.
describe('vgg16', () => {
  let built: ModelWithTaps;
  beforeAll(() => {
    built = buildWithTaps('vgg16', { seed: 42 });
  });
  afterAll(() => built.model.dispose());

  it('has 14,724,042 trainable parameters and 8,448 BN moving statistics at [32, 32, 3], 10 classes', () => {
    // convs: 9 * (3*64 + 64*64 + 64*128 + 128*128 + 128*256 + 2*256*256 + 256*512 + 5*512*512)
    //      = 9 * 1,634,496 = 14,710,464
    // BN channels: 2*64 + 2*128 + 3*256 + 6*512 = 4,224 -> 8,448 gamma/beta + 8,448 moving mean/var
    // dense: 512*10 + 10 = 5,130
    // trainable 14,710,464 + 8,448 + 5,130 = 14,724,042; total 14,732,490
    let cin = 3;
    let convs = 0;
    let bnChannels = 0;
    for (const cout of WIDTHS.flat()) {
      convs += conv(cin, cout);
      bnChannels += cout;
      cin = cout;
    }
    expect(convs).toBe(14_710_464);
    expect(bnChannels).toBe(4_224);
    expect(convs + 2 * bnChannels + 512 * 10 + 10).toBe(14_724_042);
    expect(countParams(built.model)).toEqual({ trainable: 14_724_042, nonTrainable: 8_448, total: 14_732_490 });
  });

  it('has 13 convs (no bias), 13 fused BN + ReLU, 5 pools, one 512 -> classes dense', () => {
    const layers = built.model.layers;
    const count = (cls: string) => layers.filter((l) => l.getClassName() === cls).length;
    expect(count('Conv2D')).toBe(13);
    expect(count('KdltsFusedBatchNormalization')).toBe(13);
    expect(count('MaxPooling2D')).toBe(5);
    expect(count('Dense')).toBe(1);
    expect(layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.name)).toEqual(CONVS);
    for (const l of layers.filter((l) => l.getClassName() === 'Conv2D')) expect(l.weights).toHaveLength(1);
    for (const l of layers.filter((l) => l.getClassName() === 'KdltsFusedBatchNormalization')) {
      expect((l as unknown as { activation: string }).activation).toBe('relu');
    }
    expect(built.model.getLayer('flatten').outputShape).toEqual([null, 512]);
    expect(built.model.getLayer('logits').outputShape).toEqual([null, 10]);
  });

  it('taps the output of each pooling stage', () => {
    expectTaps(vgg16, built, [[16, 16, 64], [8, 8, 128], [4, 4, 256], [2, 2, 512], [1, 1, 512]]);
  });

  it('prunes the 13 conv kernels and the dense kernel: 14,715,584 weights', () => {
    // 14,710,464 conv + 512*10 dense (no biases, no batch norm)
    expectPrunable(vgg16, built.model, [...CONVS, 'logits'], 14_715_584);
  });

  it('maps [1, 32, 32, 3] to [1, 10] logits; the tap model\'s logits are bitwise the same', () => {
    expectTapLogits(built, [32, 32, 3], 1);
  });

  it('halves every conv at width 0.5: 3,684,842 trainable parameters, 2,112 BN channels', () => {
    // width 2 would be ~59M parameters (~30 s to initialize on the cpu backend): 0.5 checks the same scaling
    let cin = 3;
    let convs = 0;
    let bnChannels = 0;
    for (const cout of WIDTHS.flat().map((w) => w / 2)) {
      convs += conv(cin, cout);
      bnChannels += cout;
      cin = cout;
    }
    expect(convs).toBe(3_678_048);
    expect(convs + 2 * bnChannels + 256 * 10 + 10).toBe(3_684_842);
    const half = vgg16.build({ seed: 1, width: 0.5 });
    expect(countParams(half)).toEqual({ trainable: 3_684_842, nonTrainable: 2 * bnChannels, total: 3_684_842 + 2 * bnChannels });
    expect(half.getLayer('flatten').outputShape).toEqual([null, 256]);
    half.dispose();
    expect(() => vgg16.build({ seed: 1, width: -0.5 })).toThrow(RangeError);
    expect(() => vgg16.build({ seed: 1, width: NaN })).toThrow(/width must be a positive/);
  });

  it('gives bitwise the same weights for the same seed (a recorded fingerprint of seed 42)', () => {
    // A second 14.7M-parameter build would cost ~8 s on the cpu backend, so the weights built
    // from seed 42 are compared, bit for bit (FNV-1a over every weight's float32 bit patterns, a
    // 32-bit word at a time, in model order), with those of the run that recorded FINGERPRINT. Initialization is backend-
    // independent JS (tfjs-core 4.22's seeded truncated normal / uniform); ResNet-20, Conv-N and
    // LeNet check same-seed builds against each other in registry.test.ts.
    const words = bits(built.model);
    expect(words.reduce((n, w) => n + w.length, 0)).toBe(14_732_490);
    expect(words.reduce(fnv1a, 0x811c9dc5).toString(16)).toBe(FINGERPRINT);
  });
});
