// The backend object: tfjs-backend-cpu's MathBackendCPU (same tensor storage, so every cpu
// kernel runs on it unchanged) plus the pool the native kernels allocate their outputs from.
// The overrides below only track who can see a buffer (buffer_pool.ts); data flow is the cpu
// backend's own.
import type { DataType, TensorInfo, backend_util } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import { BufferPool } from './buffer_pool';

type DataId = object;
type Values = backend_util.BackendValues;

export class KdltsBackend extends MathBackendCPU {
  readonly pool = new BufferPool(
    process.env.KDLTS_POOL_MB !== undefined ? Number(process.env.KDLTS_POOL_MB) * 2 ** 20 : undefined,
  );

  constructor() {
    super();
    // tfjs-backend-cpu's "install tfjs-node" banner: this backend is the fast path.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  private adopting = false;

  /** A native kernel's output tensor, on a pooled buffer from `pool.allocate`. */
  adopt(shape: number[], values: Float32Array): TensorInfo {
    this.adopting = true;
    try {
      return super.makeTensorInfo(shape, 'float32', values);
    } finally {
      this.adopting = false;
    }
  }

  override makeTensorInfo(shape: number[], dtype: DataType, values?: Values | string[]): TensorInfo {
    this.pool.retire(values); // a cpu kernel may pass (a view of) an input's buffer
    return super.makeTensorInfo(shape, dtype, values);
  }

  override write(values: Values, shape: number[], dtype: DataType): DataId {
    if (!this.adopting) this.pool.retire(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: Values, shape: number[], dtype: DataType, refCount: number): void {
    this.pool.retire(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): Values {
    const values = super.readSync(dataId);
    this.pool.retire(values);
    return values;
  }

  override async read(dataId: DataId): Promise<Values> {
    const values = await super.read(dataId);
    this.pool.retire(values);
    return values;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const released = super.disposeData(dataId, force);
    if (released && values !== undefined && !this.data.has(dataId)) this.pool.release(values);
    return released;
  }
}
