// What the benchmark ran on, the timing helper, and the machine's two ceilings measured in the
// same run: sgemm GFLOP/s (the bound for the Gram kernels) and copy bandwidth GB/s (the bound
// for the memory-bound projection and top-k kernels).
import * as fs from 'fs';
import * as os from 'os';
import { binding, nativeInfo, type ExecOptions } from '@kdlts/native';

export interface Machine {
  hostname: string;
  cpuModel: string;
  logicalCpus: number;
  memoryGiB: number;
  platform: string;
  node: string;
  kdlts: ReturnType<typeof nativeInfo>;
}

export function describeMachine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (line) cpuModel = line[1].trim();
  } catch {
    // not Linux: keep os.cpus()'s model
  }
  return {
    hostname: os.hostname(),
    cpuModel,
    logicalCpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    kdlts: nativeInfo(),
  };
}

export function machineLine(m: Machine): string {
  const k = m.kdlts;
  const engine =
    k.engine === 'native' ? `native, gemm ${k.gemmEngine}, ${k.cudaDevices} CUDA device(s)` : `REFERENCE ONLY: ${k.reason}`;
  const host = `${m.cpuModel} | ${m.logicalCpus} CPUs | ${m.memoryGiB} GiB | ${m.platform} | node ${m.node}`;
  return `machine: ${host} | kdlts ${k.version}, ${engine}`;
}

// ---- timing -------------------------------------------------------------------------------

export interface Timing {
  /** Best (minimum) of `reps` timed runs, in ms: the number every rate is computed from. */
  bestMs: number;
  medianMs: number;
  reps: number;
  warmupMs: number;
}

export interface TimingBudget {
  /** Time to spend on the timed runs: reps = budgetMs / (warm-up time), clamped to [minReps, maxReps]. */
  budgetMs: number;
  minReps: number;
  maxReps: number;
  /** Reps when the warm-up alone took longer than budgetMs (the slow cases). */
  slowReps: number;
}

/** One warm-up run, then N timed runs (N adapted to the warm-up's duration); throws what fn throws. */
export function timeBest(fn: () => void, budget: TimingBudget): Timing {
  const once = () => {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const warmupMs = once();
  const reps =
    warmupMs > budget.budgetMs
      ? budget.slowReps
      : Math.min(budget.maxReps, Math.max(budget.minReps, Math.ceil(budget.budgetMs / Math.max(warmupMs, 1e-3))));
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return { bestMs: times[0], medianMs: times[Math.floor(reps / 2)], reps, warmupMs };
}

export type Failed = { error: string };

export function errorOf(error: unknown): Failed {
  return { error: error instanceof Error ? error.message : String(error) };
}

// ---- ceilings -----------------------------------------------------------------------------

export interface SgemmCeiling extends Timing {
  size: number;
  gflops: number;
}

export interface CopyCeiling extends Timing {
  /** Bytes read + written per copy (2 x the buffer size). */
  bytes: number;
  gbps: number;
}

export interface Ceilings {
  sgemm: SgemmCeiling | Failed;
  copy: CopyCeiling | Failed;
}

/** C = A B at size^3 (2 size^3 flops) and dst = src (bytes read + written), best of a few runs each. */
export function measureCeilings(opts: {
  exec: ExecOptions;
  sgemmSize: number;
  copySrc: Float32Array;
  copyDst: Float32Array;
  budget: TimingBudget;
}): Ceilings {
  const n = opts.sgemmSize;
  let sgemm: Ceilings['sgemm'];
  try {
    const a = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1024) / 1024 - 0.5);
    const b = a.slice().reverse();
    const c = new Float32Array(n * n);
    const t = timeBest(() => binding.sgemm(a, b, c, { m: n, n, k: n }, opts.exec), opts.budget);
    sgemm = { size: n, gflops: (2 * n ** 3) / (t.bestMs * 1e6), ...t };
  } catch (error) {
    sgemm = errorOf(error);
  }
  let copy: Ceilings['copy'];
  try {
    const bytes = 2 * opts.copySrc.byteLength;
    const t = timeBest(() => binding.copyF32(opts.copySrc, opts.copyDst, opts.exec), opts.budget);
    copy = { bytes, gbps: bytes / (t.bestMs * 1e6), ...t };
  } catch (error) {
    copy = errorOf(error);
  }
  return { sgemm, copy };
}

export function ceilingsLine(c: Ceilings): string {
  const sgemm =
    'error' in c.sgemm
      ? `error: ${c.sgemm.error}`
      : `${c.sgemm.gflops.toFixed(1)} GFLOP/s at ${c.sgemm.size}^3 (best of ${c.sgemm.reps})`;
  const copy =
    'error' in c.copy
      ? `error: ${c.copy.error}`
      : `${c.copy.gbps.toFixed(1)} GB/s read+write on ${c.copy.bytes / 2 / 2 ** 20} MiB (best of ${c.copy.reps})`;
  return `ceilings: sgemm ${sgemm} | copy ${copy}`;
}
