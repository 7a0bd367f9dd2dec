// The kernel benchmark: the three native hot paths (Gram matrices, capped-simplex projection,
// top-k mask) against the TypeScript reference, each set beside the machine's ceiling measured
// in the same run (sgemm GFLOP/s for Gram, copy GB/s for the memory-bound two).
// Usage: node dist/kernels.js [--quick] [--out FILE] [--threads N] [--no-reference] [--backend cpu|auto|cuda]
import { formatTable } from '@kdlts/cli';
import { mulberry32 } from '@kdlts/data';
import { binding, createOps, reference, type Backend, type ExecOptions, type KdltsOps } from '@kdlts/native';
import {
  ceilingsLine,
  describeMachine,
  errorOf,
  machineLine,
  measureCeilings,
  timeBest,
  type Ceilings,
  type Failed,
  type Timing,
  type TimingBudget,
} from './machine';
import { eachFlag } from './args';
import { defaultResultsPath, writeJsonAtomic } from './results';

// ---- options and profiles -------------------------------------------------------------------

interface Options {
  quick: boolean;
  out: string;
  threads?: number;
  reference: boolean;
  backend: Backend;
}

const USAGE = 'usage: kernels.js [--quick] [--out FILE] [--threads N] [--no-reference] [--backend cpu|auto|cuda]';

function parseOptions(argv: string[]): Options {
  const o: Options = { quick: false, out: '', reference: true, backend: 'cpu' };
  eachFlag(argv, USAGE, (flag, value) => {
    if (flag === '--quick') o.quick = true;
    else if (flag === '--no-reference') o.reference = false;
    else if (flag === '--out') o.out = value();
    else if (flag === '--threads') {
      o.threads = Number(value());
      if (!Number.isInteger(o.threads) || o.threads < 1) throw new Error(`--threads must be a positive integer\n${USAGE}`);
    } else if (flag === '--backend') {
      const b = value();
      if (b !== 'cpu' && b !== 'auto' && b !== 'cuda') throw new Error(`--backend must be cpu, auto or cuda\n${USAGE}`);
      o.backend = b;
    } else return false;
    return true;
  });
  if (!o.out) o.out = o.quick ? defaultResultsPath('kernels', { suffix: 'quick', local: true }) : defaultResultsPath('kernels');
  return o;
}

const BATCH = 128;
const FULL = {
  gramDims: [1024, 8192, 65536],
  gramBlocks: [1, 20],
  n: [1e6, 1e7, 1e8],
  perLayerN: [1e7, 1e8],
  budget: { budgetMs: 1000, minReps: 3, maxReps: 30, slowReps: 2 },
};
const QUICK = {
  gramDims: [1024, 8192],
  gramBlocks: [1, 20],
  n: [1e6],
  perLayerN: [1e6],
  budget: { budgetMs: 150, minReps: 2, maxReps: 20, slowReps: 1 },
};
/** The ceilings get at least 3 timed runs in every profile (the first copy pays the page faults). */
const CEILING_BUDGET = { budgetMs: 1000, minReps: 3, maxReps: 10, slowReps: 3 };
const LAYERS = 20;
const SGEMM_SIZE = 2048;
const COPY_FLOATS = (512 * 2 ** 20) / 4; // a 512 MiB buffer
const GRAM_MAX_BYTES = 2 * 2 ** 30; // skip Gram cases needing more (features + gradients)
const REF_MAX_N = 1e7; // the reference is too slow (and too hungry) beyond this
const REF_MAX_GRAM_DL = 8192; // ... and beyond D * L = 8192 at B = 128
const GRAM_TARGET_PERCENT = 70;
const FLOOR_TARGET_RATIO = 2;

// ---- inputs ---------------------------------------------------------------------------------

/** A seeded uniform [0, 1) stream (@kdlts/data's mulberry32). */
const prng = (seed: number): (() => number) => mulberry32(seed).next;

/** Standard normal values (Box-Muller). */
function fillNormal(a: Float32Array, rand: () => number): void {
  for (let i = 0; i < a.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const t = 2 * Math.PI * rand();
    a[i] = r * Math.cos(t);
    if (i + 1 < a.length) a[i + 1] = r * Math.sin(t);
  }
}

/** n split into `count` consecutive groups of unequal sizes (like the layers of a network). */
function layerSizes(n: number, count: number): number[] {
  const weights = Array.from({ length: count }, (_, i) => 1 + ((i * 7) % 10));
  const total = weights.reduce((s, w) => s + w, 0);
  const sizes = weights.map((w) => Math.floor((n * w) / total));
  sizes[count - 1] += n - sizes.reduce((s, x) => s + x, 0);
  return sizes;
}

// ---- rows -----------------------------------------------------------------------------------

type Measured = (Timing & { ms: number }) | Failed | { skipped: string };
type Target = { kind: 'percentOfSgemm'; min: number } | { kind: 'ratioToCopyFloor'; max: number };

interface Row {
  op: 'gramForward' | 'gramBackward' | 'projectCappedSimplex' | 'topkMask';
  case: string;
  params: Record<string, number | number[] | boolean>;
  /** Work per call: flops (Gram) or bytes that must move (projection, top-k). */
  flops?: number;
  bytes?: number;
  target: Target;
  native: Measured;
  reference: Measured;
  /** The native output's sanity check (and agreement with the reference where it ran). */
  check: string;
  /** GFLOP/s or GB/s of the native best time. */
  rate: number | null;
  /** Percent of sgemm (Gram) or time / copy-floor time (projection, top-k). */
  vsCeiling: number | null;
  pass: boolean | null;
  /** reference ms / native ms. */
  speedup: number | null;
}

const timed = (m: Measured): m is Timing & { ms: number } => 'ms' in m;

function measure(fn: () => void, budget: TimingBudget, skip?: string): Measured {
  if (skip) return { skipped: skip };
  try {
    const t = timeBest(fn, budget);
    return { ms: t.bestMs, ...t };
  } catch (error) {
    return errorOf(error);
  }
}

function finish(row: Omit<Row, 'rate' | 'vsCeiling' | 'pass' | 'speedup'>, ceilings: Ceilings, verdicts: boolean): Row {
  const out: Row = { ...row, rate: null, vsCeiling: null, pass: null, speedup: null };
  if (!timed(row.native)) return out;
  const ms = row.native.ms;
  if (timed(row.reference)) out.speedup = row.reference.ms / ms;
  out.rate = ((row.flops ?? row.bytes) as number) / (ms * 1e6);
  if (row.target.kind === 'percentOfSgemm' && !('error' in ceilings.sgemm)) {
    out.vsCeiling = (100 * out.rate) / ceilings.sgemm.gflops;
    out.pass = verdicts ? out.vsCeiling >= row.target.min : null;
  } else if (row.target.kind === 'ratioToCopyFloor' && !('error' in ceilings.copy)) {
    out.vsCeiling = ceilings.copy.gbps / out.rate;
    out.pass = verdicts ? out.vsCeiling <= row.target.max : null;
  }
  if (out.pass !== null && row.check !== 'ok') out.pass = false;
  return out;
}

// ---- checks (cheap, O(output)) --------------------------------------------------------------

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function checkGram(grams: Float32Array, blocks: number, ref: Float32Array | null): string {
  for (let l = 0; l < blocks; l++) {
    for (let i = 0; i < BATCH; i++) {
      const d = grams[l * BATCH * BATCH + i * BATCH + i];
      if (!(Math.abs(d - 1) <= 1e-3)) return `G[${l}][${i}][${i}] = ${d}, expected 1`;
    }
  }
  const diff = ref ? maxAbsDiff(grams, ref) : 0;
  return diff <= 1e-3 ? 'ok' : `differs from reference by ${diff.toExponential(2)}`;
}

function checkGradient(dF: Float32Array[], ref: Float32Array[] | null): string {
  for (const block of dF) for (let i = 0; i < block.length; i += 97) if (!Number.isFinite(block[i])) return `non-finite dF`;
  if (!ref) return 'ok';
  const scale = Math.max(1, ...ref.map((r) => r.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  const diff = Math.max(...dF.map((d, l) => maxAbsDiff(d, ref[l])));
  return diff <= 1e-3 * scale ? 'ok' : `differs from reference by ${diff.toExponential(2)}`;
}

function checkProjection(x: Float32Array, sizes: number[], ks: number[], ref: Float32Array | null): string {
  let start = 0;
  for (let g = 0; g < sizes.length; g++) {
    let sum = 0;
    for (let i = start; i < start + sizes[g]; i++) {
      if (!(x[i] >= 0 && x[i] <= 1)) return `x[${i}] = ${x[i]} outside [0, 1]`;
      sum += x[i];
    }
    if (Math.abs(sum - ks[g]) > 1e-3 + 1e-6 * sizes[g]) return `group ${g} sums to ${sum}, expected ${ks[g]}`;
    start += sizes[g];
  }
  const diff = ref ? maxAbsDiff(x, ref) : 0;
  return diff <= 1e-4 ? 'ok' : `differs from reference by ${diff.toExponential(2)}`;
}

function checkTopk(mask: Uint8Array, sizes: number[], ks: number[], ref: Uint8Array | null): string {
  let start = 0;
  for (let g = 0; g < sizes.length; g++) {
    let count = 0;
    for (let i = start; i < start + sizes[g]; i++) count += mask[i];
    if (count !== ks[g]) return `group ${g} keeps ${count}, expected ${ks[g]}`;
    start += sizes[g];
  }
  if (ref) for (let i = 0; i < mask.length; i++) if (mask[i] !== ref[i]) return `differs from reference at ${i}`;
  return 'ok';
}

// ---- the cases ------------------------------------------------------------------------------

interface Pool {
  /** Inputs: standard normal values (features, scores), read only. */
  inputs: Float32Array;
  /** Outputs (gradients, projections). */
  outputs: Float32Array;
  mask: Uint8Array;
}

type Emit = (row: Omit<Row, 'rate' | 'vsCeiling' | 'pass' | 'speedup'>) => void;

function gramCases(dims: number[], blocks: number[], pool: Pool, ctx: Context, emit: Emit): void {
  for (const D of dims) {
    for (const L of blocks) {
      const label = `B=${BATCH} D=${D} L=${L}`;
      const params = { batch: BATCH, dim: D, blocks: L, normalize: true };
      const floats = BATCH * D * L;
      const bytes = 8 * floats; // features + their gradients
      const tooBig = bytes > GRAM_MAX_BYTES ? `needs ${(bytes / 2 ** 30).toFixed(1)} GiB > 2 GiB` : undefined;
      const refSkip = !ctx.opts.reference ? '--no-reference' : D * L > REF_MAX_GRAM_DL ? `D*L > ${REF_MAX_GRAM_DL}` : undefined;
      const features = Array.from({ length: L }, (_, l) => pool.inputs.subarray(l * BATCH * D, (l + 1) * BATCH * D));
      const dF = Array.from({ length: L }, (_, l) => pool.outputs.subarray(l * BATCH * D, (l + 1) * BATCH * D));
      const grams = new Float32Array(L * BATCH * BATCH);
      const dG = new Float32Array(L * BATCH * BATCH).map(ctx.rand).map((u) => 2 * u - 1);
      const target = { kind: 'percentOfSgemm', min: GRAM_TARGET_PERCENT } as const;
      const opts = { normalize: true, ...ctx.exec };

      ctx.progress(`gramForward ${label}`);
      const nat = measure(() => ctx.native.gramMatrices(features, BATCH, { ...opts, out: grams }), ctx.budget, tooBig);
      const refGrams = new Float32Array(grams.length);
      const ref = measure(() => reference.gramMatrices(features, BATCH, { out: refGrams }), ctx.budget, tooBig ?? refSkip);
      const fwdCheck = timed(nat) ? checkGram(grams, L, timed(ref) ? refGrams : null) : '—';
      const flops = 2 * BATCH * BATCH * D * L;
      emit({ op: 'gramForward', case: label, params, flops, target, native: nat, reference: ref, check: fwdCheck });

      ctx.progress(`gramBackward ${label}`);
      const natB = measure(() => ctx.native.gramMatricesBackward(features, dG, BATCH, { ...opts, out: dF }), ctx.budget, tooBig);
      const refDF = tooBig ?? refSkip ? [] : features.map((f) => new Float32Array(f.length));
      const refB = measure(() => reference.gramMatricesBackward(features, dG, BATCH, { out: refDF }), ctx.budget, tooBig ?? refSkip);
      const bwdCheck = timed(natB) ? checkGradient(dF, timed(refB) ? refDF : null) : '—';
      emit({ op: 'gramBackward', case: label, params, flops: 2 * flops, target, native: natB, reference: refB, check: bwdCheck });
    }
  }
}

function memoryBoundCases(ns: number[], perLayerNs: number[], pool: Pool, ctx: Context, emit: Emit): void {
  const cases = [...ns.map((n) => ({ n, groups: 1 })), ...perLayerNs.map((n) => ({ n, groups: LAYERS }))];
  for (const op of ['projectCappedSimplex', 'topkMask'] as const) {
    for (const { n, groups } of cases) {
      const sizes = groups === 1 ? [n] : layerSizes(n, groups);
      const ks = sizes.map((s) => Math.round(s / 10));
      const label = `n=${n / 1e6}M ${groups === 1 ? 'global' : `${groups} groups`} k=n/10`;
      const params = { n, groups, k: groups === 1 ? ks[0] : ks };
      const scores = pool.inputs.subarray(0, n);
      const refSkip = !ctx.opts.reference ? '--no-reference' : n > REF_MAX_N ? `n > ${REF_MAX_N / 1e6}M` : undefined;
      const groupOpt = groups === 1 ? {} : { groupSizes: sizes };
      const budget = groups === 1 ? ks[0] : ks;
      const target = { kind: 'ratioToCopyFloor', max: FLOOR_TARGET_RATIO } as const;
      ctx.progress(`${op} ${label}`);
      if (op === 'projectCappedSimplex') {
        const x = pool.outputs.subarray(0, n);
        const nat = measure(() => ctx.native.projectCappedSimplex(scores, budget, { ...groupOpt, ...ctx.exec, out: x }), ctx.budget);
        const refX = new Float32Array(refSkip ? 0 : n);
        const ref = measure(() => reference.projectCappedSimplex(scores, budget, { ...groupOpt, out: refX }), ctx.budget, refSkip);
        const check = timed(nat) ? checkProjection(x, sizes, ks, timed(ref) ? refX : null) : '—';
        emit({ op, case: label, params, bytes: 8 * n, target, native: nat, reference: ref, check });
      } else {
        const mask = pool.mask.subarray(0, n);
        const nat = measure(() => ctx.native.topkMask(scores, budget, { ...groupOpt, ...ctx.exec, out: mask }), ctx.budget);
        const refMask = new Uint8Array(refSkip ? 0 : n);
        const ref = measure(() => reference.topkMask(scores, budget, { ...groupOpt, out: refMask }), ctx.budget, refSkip);
        const check = timed(nat) ? checkTopk(mask, sizes, ks, timed(ref) ? refMask : null) : '—';
        emit({ op, case: label, params, bytes: 5 * n, target, native: nat, reference: ref, check });
      }
    }
  }
}

interface Context {
  opts: Options;
  exec: ExecOptions;
  native: KdltsOps;
  budget: TimingBudget;
  rand: () => number;
  progress: (what: string) => void;
}

// ---- output ---------------------------------------------------------------------------------

/** Three significant digits, no exponent. */
const fmt = (x: number) => (x === 0 ? '0' : x >= 100 ? x.toFixed(0) : x.toFixed(Math.min(6, 2 - Math.floor(Math.log10(x)))));
const clip = (s: string, n = 48) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const cell = (m: Measured) => (timed(m) ? fmt(m.ms) : 'error' in m ? 'error' : '—');

/** The check, or why a side did not run (errors in full; skipped reasons are in the footnotes). */
function notes(r: Row): string {
  const parts = [];
  if ('error' in r.native) parts.push(`error: ${r.native.error}`);
  else parts.push(r.check);
  if ('error' in r.reference) parts.push(`reference error: ${r.reference.error}`);
  return parts.join('; ');
}

function tableOf(rows: Row[]): string {
  const header = ['op', 'case', 'native ms', 'rate', 'vs ceiling', 'target', 'mark', 'ref ms', 'speedup', 'notes'];
  const body = rows.map((r) => {
    const gram = r.target.kind === 'percentOfSgemm';
    return [
      r.op,
      r.case,
      cell(r.native),
      r.rate === null ? '—' : `${fmt(r.rate)} ${gram ? 'GFLOP/s' : 'GB/s'}`,
      r.vsCeiling === null ? '—' : gram ? `${r.vsCeiling.toFixed(0)}% sgemm` : `${fmt(r.vsCeiling)}x floor`,
      r.target.kind === 'percentOfSgemm' ? `>= ${r.target.min}%` : `<= ${r.target.max}x`,
      r.pass === null ? '—' : r.pass ? 'PASS' : 'MISS',
      cell(r.reference),
      r.speedup === null ? '—' : `${fmt(r.speedup)}x`,
      clip(notes(r), 80),
    ];
  });
  return formatTable(header, body, ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'right', 'right', 'left']);
}

function footer(rows: Row[], opts: Options, verdicts: boolean, seconds: number): string {
  const refLimits = `n > ${REF_MAX_N / 1e6}M or Gram D*L > ${REF_MAX_GRAM_DL}: too slow and too big`;
  const count = (v: boolean | null) => rows.filter((r) => r.pass === v).length;
  return [
    'rate: Gram GFLOP/s (forward 2*B*B*D, backward 4*B*B*D flops per block); projection GB/s over 8n bytes, top-k over 5n.',
    'vs ceiling: Gram as % of the sgemm ceiling; projection / top-k as time over the copy floor (bytes / copy GB/s).',
    `ref ms "—": reference not run (${opts.reference ? refLimits : '--no-reference'}); mark "—": no verdict.`,
    ...(verdicts ? [] : ['no verdicts in this run: the reference engine serves the ops, or the backend is not the CPU of the ceilings.']),
    `targets: ${count(true)} PASS, ${count(false)} MISS, ${count(null)} without a verdict; ${seconds.toFixed(0)} s`,
  ].join('\n');
}

// ---- main -----------------------------------------------------------------------------------

function main(): void {
  const opts = parseOptions(process.argv.slice(2));
  const profile = opts.quick ? QUICK : FULL;
  const exec: ExecOptions = { backend: opts.backend, numThreads: opts.threads };
  const machine = describeMachine();
  const info = machine.kdlts;
  // The ceilings are CPU ceilings: a verdict only makes sense when the ops run on the CPU.
  const onCpu = opts.backend === 'cpu' || (opts.backend === 'auto' && info.cudaDevices === 0);
  const verdicts = info.engine === 'native' && onCpu;
  const started = Date.now();
  const threads = opts.threads ?? `all (${info.hardwareThreads})`;
  console.log(machineLine(machine));
  console.log(`run: ${opts.quick ? 'quick' : 'full'} profile, backend ${opts.backend}, threads ${threads}`);
  const progress = (what: string) => process.stderr.write(`  [${((Date.now() - started) / 1000).toFixed(0)}s] ${what}\n`);

  // Every large buffer is allocated once and reused by every case (subarrays).
  const maxN = Math.max(...profile.n, ...profile.perLayerN);
  const gramSizes = profile.gramDims.flatMap((D) => profile.gramBlocks.map((L) => BATCH * D * L));
  const opsFloats = Math.max(maxN, ...gramSizes.filter((floats) => 8 * floats <= GRAM_MAX_BYTES));
  const rand = prng(20240611);
  const poolFloats = Math.max(opsFloats, COPY_FLOATS);
  progress(`allocating ${((8 * poolFloats + maxN) / 2 ** 30).toFixed(2)} GiB of inputs and outputs`);
  const pool: Pool = { inputs: new Float32Array(poolFloats), outputs: new Float32Array(poolFloats), mask: new Uint8Array(maxN) };
  fillNormal(pool.inputs.subarray(0, opsFloats), rand);
  pool.inputs.subarray(opsFloats).fill(1); // the rest only feeds the copy probe: touch its pages

  progress(`ceilings: sgemm ${SGEMM_SIZE}^3, copy 512 MiB`);
  const ceilings = measureCeilings({
    exec: { backend: 'cpu', numThreads: opts.threads },
    sgemmSize: SGEMM_SIZE,
    copySrc: pool.inputs.subarray(0, COPY_FLOATS),
    copyDst: pool.outputs.subarray(0, COPY_FLOATS),
    budget: CEILING_BUDGET,
  });
  console.log(ceilingsLine(ceilings));

  const rows: Row[] = [];
  const emit: Emit = (row) => rows.push(finish(row, ceilings, verdicts));
  const ctx: Context = { opts, exec, native: createOps(binding), budget: profile.budget, rand, progress };
  gramCases(profile.gramDims, profile.gramBlocks, pool, ctx, emit);
  memoryBoundCases(profile.n, profile.perLayerN, pool, ctx, emit);

  console.log('');
  console.log(tableOf(rows));
  console.log('');
  console.log(footer(rows, opts, verdicts, (Date.now() - started) / 1000));

  writeJsonAtomic(opts.out, {
    benchmark: 'kernels',
    schemaVersion: 1,
    date: new Date().toISOString(),
    profile: opts.quick ? 'quick' : 'full',
    options: { backend: opts.backend, threads: opts.threads ?? null, reference: opts.reference },
    machine,
    ceilings,
    rows,
  });
  console.log(`results: ${opts.out}`);
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
