// ResNet "option A" shortcut (He et al. 2016, section 4.2): where a block changes shape, the
// shortcut is the identity subsampled by the stride (x[:, ::s, ::s, :]) with the new channels
// zero-padded, half before and half after (as the reference CIFAR implementations do). It has
// no parameters. Subsampling and padding are one 1x1 convolution with stride s and a constant
// 0/1 filter that places input channel c at output channel c + before: it picks rows and columns
// 0, s, 2s, ... like the strided slice (ceil(H / s) of them), and its gradient is one transposed
// convolution, where slice + pad would take two generic (and, on tfjs-backend-cpu, slow)
// index-mapping kernels each way.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface ShortcutAArgs {
  /** Output channels (>= input channels). */
  filters: number;
  /** Spatial subsampling factor (1 = none). */
  strides: number;
  name?: string;
}

export class ShortcutA extends tfl.layers.Layer {
  static readonly className = 'KdltsShortcutA';
  readonly filters: number;
  readonly strides: number;

  constructor(args: ShortcutAArgs) {
    super({ name: args.name });
    if (!Number.isInteger(args.filters) || args.filters < 1) throw new Error(`ShortcutA: bad filters ${args.filters}`);
    if (!Number.isInteger(args.strides) || args.strides < 1) throw new Error(`ShortcutA: bad strides ${args.strides}`);
    this.filters = args.filters;
    this.strides = args.strides;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (c != null && c > this.filters) throw new Error(`ShortcutA: ${c} input channels > ${this.filters} filters`);
    const sub = (d: number | null) => (d == null ? null : Math.ceil(d / this.strides));
    return [n, sub(h), sub(w), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const channels = x.shape[3];
      if (this.strides === 1 && channels === this.filters) return tf.clone(x);
      const before = Math.floor((this.filters - channels) / 2);
      const embed = new Float32Array(channels * this.filters);
      for (let c = 0; c < channels; c++) embed[c * this.filters + c + before] = 1;
      const filter = tf.tensor4d(embed, [1, 1, channels, this.filters]);
      return tf.conv2d(x, filter, this.strides, 'valid');
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, strides: this.strides };
  }
}

tf.serialization.registerClass(ShortcutA);
