// Output buffers for the native kernels, recycled. A training step allocates hundreds of
// activation-sized outputs; a fresh Float32Array costs page faults and zeroing (an 8 MB ReLU
// runs at ~5 GB/s into new memory and ~25 GB/s into a reused buffer, measured here), so
// buffers the native kernels allocated come back here when their tensor is disposed.
//
// A buffer is recycled only while nothing else can see it: reading a tensor (dataSync, data,
// bufferSync) hands its buffer to the user, and a cpu kernel may build another tensor on a view
// of it (a contiguous Slice is a subarray); either retires the buffer from recycling for good.
// Recycled buffers are not zeroed: every native kernel writes its whole output.

export const DEFAULT_POOL_BYTES = 1 << 30;
/** Smaller outputs are cheap to allocate and not worth tracking. */
export const MIN_POOLED_LENGTH = 1 << 14;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owned = new WeakSet<ArrayBuffer>();
  private freeBytes = 0;
  /** Counters for tests and tuning. */
  readonly stats = { allocated: 0, reused: 0, recycled: 0, retired: 0 };

  constructor(readonly maxFreeBytes = DEFAULT_POOL_BYTES) {}

  /** A float32 buffer of `length` elements with arbitrary contents. */
  allocate(length: number): Float32Array {
    if (length < MIN_POOLED_LENGTH) return new Float32Array(length);
    const list = this.free.get(length);
    const reused = list?.pop();
    if (reused) {
      this.freeBytes -= reused.byteLength;
      this.stats.reused++;
      this.owned.add(reused.buffer as ArrayBuffer);
      return reused;
    }
    const fresh = new Float32Array(length);
    this.owned.add(fresh.buffer);
    this.stats.allocated++;
    return fresh;
  }

  /** Someone else can see (part of) this buffer now: never recycle it. */
  retire(values: unknown): void {
    if (ArrayBuffer.isView(values) && this.owned.delete(values.buffer as ArrayBuffer)) this.stats.retired++;
  }

  /** The tensor holding `values` was freed: keep the buffer if it is still ours alone. */
  release(values: unknown): void {
    if (!(values instanceof Float32Array) || !this.owned.has(values.buffer as ArrayBuffer)) return;
    this.owned.delete(values.buffer as ArrayBuffer);
    if (values.byteOffset !== 0 || values.byteLength !== values.buffer.byteLength) return;
    if (this.freeBytes + values.byteLength > this.maxFreeBytes) return;
    let list = this.free.get(values.length);
    if (!list) this.free.set(values.length, (list = []));
    list.push(values);
    this.freeBytes += values.byteLength;
    this.stats.recycled++;
  }

  /** Fills every free buffer (tests: outputs must not depend on what a buffer held). */
  fillFree(value: number): void {
    for (const list of this.free.values()) for (const b of list) b.fill(value);
  }

  /** Drops every free buffer. */
  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }

  get bytesFree(): number {
    return this.freeBytes;
  }
}
