// The addon's whole surface, typed once. Nothing else in kdlts requires the .node file.
import * as fs from 'fs';
import * as path from 'path';

export type Backend = 'auto' | 'cpu' | 'cuda';

/** Where an op runs. `backend` defaults to 'auto' (CUDA when a device exists, else CPU). */
export interface ExecOptions {
  backend?: Backend;
  /** CPU threads; 0 or absent = all hardware threads. */
  numThreads?: number;
}

export interface GramParams {
  /** Rows are L2-normalised before the product (the similarity-preserving form). */
  normalize: boolean;
  /** Norm floor: f / max(|f|, eps). */
  eps: number;
}

export interface GemmShape {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  lda?: number;
  ldb?: number;
  ldc?: number;
}

export interface NativeInfo {
  version: string;
  /** 'openblas', 'cblas' or 'builtin' (or 'reference' for the TypeScript fallback). */
  gemmEngine: string;
  cudaCompiled: boolean;
  cudaDevices: number;
  hardwareThreads: number;
}

export type MaskArray = Uint8Array | Float32Array;

/**
 * The low-level ops: caller-allocated outputs, shapes checked, every failure thrown as an Error
 * (TypeError / RangeError for bad arguments; Error with `code` = 'KDLTS_ERR_...' for failures
 * inside an op). Each returns its output buffer; each *Async form runs off the event loop.
 */
export interface BindingModule {
  info(): NativeInfo;
  gramForward(features: Float32Array[], batch: number, grams: Float32Array, params: GramParams, exec?: ExecOptions): Float32Array;
  gramForwardAsync(features: Float32Array[], batch: number, grams: Float32Array, params: GramParams, exec?: ExecOptions): Promise<Float32Array>;
  gramBackward(features: Float32Array[], dgrams: Float32Array, batch: number, dfeatures: Float32Array[], params: GramParams, exec?: ExecOptions): Float32Array[];
  gramBackwardAsync(features: Float32Array[], dgrams: Float32Array, batch: number, dfeatures: Float32Array[], params: GramParams, exec?: ExecOptions): Promise<Float32Array[]>;
  projectCappedSimplex(y: Float32Array, groupSizes: number[], budgets: number[], x: Float32Array, thresholds: Float64Array | null, exec?: ExecOptions): Float32Array;
  projectCappedSimplexAsync(y: Float32Array, groupSizes: number[], budgets: number[], x: Float32Array, thresholds: Float64Array | null, exec?: ExecOptions): Promise<Float32Array>;
  topkMask<M extends MaskArray>(scores: Float32Array, groupSizes: number[], k: number[], mask: M, exec?: ExecOptions): M;
  topkMaskAsync<M extends MaskArray>(scores: Float32Array, groupSizes: number[], k: number[], mask: M, exec?: ExecOptions): Promise<M>;
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, exec?: ExecOptions): Float32Array;
  sgemmAsync(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, exec?: ExecOptions): Promise<Float32Array>;
  copyF32(src: Float32Array, dst: Float32Array, exec?: ExecOptions): Float32Array;
  copyF32Async(src: Float32Array, dst: Float32Array, exec?: ExecOptions): Promise<Float32Array>;
}

/** The path of the compiled addon inside @kdlts/native-core. */
export function addonPath(): string {
  const corePackage = require.resolve('@kdlts/native-core/package.json');
  return path.join(path.dirname(corePackage), 'build', 'Release', 'kdlts.node');
}

/**
 * Loads the addon, or explains why not. KDLTS_NATIVE=reference skips it on purpose
 * (the TypeScript reference then serves every op).
 */
export function loadAddon(): { addon: BindingModule } | { addon: null; reason: string } {
  if (process.env.KDLTS_NATIVE === 'reference') return { addon: null, reason: 'KDLTS_NATIVE=reference' };
  let file: string;
  try {
    file = addonPath();
  } catch (error) {
    return { addon: null, reason: `@kdlts/native-core is not installed (${(error as Error).message})` };
  }
  if (!fs.existsSync(file)) return { addon: null, reason: `${file} is missing: run \`npm run build\`` };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { addon: require(file) as BindingModule };
  } catch (error) {
    return { addon: null, reason: `${file} failed to load: ${(error as Error).message}` };
  }
}
