// The conformance suite's own checks: that the kdlts backend really serves the overridden
// kernels natively (required on CI), that every overridden kernel has cases, and that the
// comparator and the harness reject what they must (a suite that cannot fail proves nothing).
// The per-family cases live in conformance.<family>.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import { nativeKernelConfigs } from './index';
import { compareValues, TOLERANCES, U, ulpDistance } from './testing/compare';
import { castCases } from './testing/cases_cast';
import { convCases } from './testing/cases_conv';
import { binaryCases, unaryCases } from './testing/cases_elementwise';
import { largeCases } from './testing/cases_large';
import { matmulCases } from './testing/cases_matmul';
import { batchNormCases, poolCases } from './testing/cases_pool';
import { reduceCases, softmaxCases, tileCases, transposeCases } from './testing/cases_reduce';
import {
  BACKEND_NAME, checkCase, differsFromCpu, onCI, OVERRIDDEN_KERNELS, status, withKdltsKernel, type Case,
} from './testing/harness';

const allCases: Case[] = [
  ...convCases, ...matmulCases, ...poolCases, ...batchNormCases, ...binaryCases, ...unaryCases,
  ...reduceCases, ...softmaxCases, ...tileCases, ...transposeCases, ...castCases,
  ...largeCases,
];

function findCase(name: string): Case {
  const c = allCases.find((x) => x.name === name);
  if (!c) throw new Error(`no case named ${name}`);
  return c;
}

describe('kdlts backend status', () => {
  test('native kernels are in use (required when CI=true)', () => {
    if (!status.native) {
      const message =
        `kdlts native kernels are NOT in use (${status.reason}): every conformance comparison below ` +
        'runs tfjs-backend-cpu against itself and passes trivially. Build the addon (npm run build).';
      if (onCI) throw new Error(message);
      console.warn(message);
      return;
    }
    expect([...status.nativeKernels].sort()).toEqual([...OVERRIDDEN_KERNELS].sort());
  });

  test('the backend registers exactly the overridden kernels', () => {
    expect(nativeKernelConfigs.map((c) => c.kernelName).sort()).toEqual([...OVERRIDDEN_KERNELS].sort());
  });

  test('kdlts kernels are other functions than the cpu ones exactly when native', () => {
    const differing = OVERRIDDEN_KERNELS.filter((k) => differsFromCpu[k]);
    expect(differing).toEqual(status.native ? [...OVERRIDDEN_KERNELS] : []);
    // Kernels kdlts does not override stay tfjs-backend-cpu's own.
    for (const k of ['Reshape', 'Slice', 'Concat', 'Conv3D']) {
      expect(tf.getKernel(k, BACKEND_NAME)?.kernelFunc).toBe(tf.getKernel(k, 'cpu')?.kernelFunc);
    }
  });

  test('every overridden kernel has cases that require it to run natively', () => {
    const covered = new Set(allCases.flatMap((c) => c.native));
    expect(OVERRIDDEN_KERNELS.filter((k) => !covered.has(k))).toEqual([]);
  });

  test('case names are unique', () => {
    const names = allCases.map((c) => c.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});

describe('comparator self-check', () => {
  const next = (x: number) => {
    const f = new Float32Array([x]);
    const i = new Int32Array(f.buffer);
    i[0] += x >= 0 ? 1 : -1;
    return f[0];
  };

  test('exact: accepts equal values (and +0 / -0, NaN / NaN), rejects one ulp, NaN vs number, +Inf vs -Inf', () => {
    const ref = Float32Array.from([1.5, 0, Number.NaN, Number.POSITIVE_INFINITY, -3]);
    expect(compareValues(Float32Array.from([1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, -3]), ref, TOLERANCES.exact()).problems).toEqual([]);
    expect(compareValues(Float32Array.from([next(1.5), 0, Number.NaN, Number.POSITIVE_INFINITY, -3]), ref, TOLERANCES.exact()).bad).toBe(1);
    expect(compareValues(Float32Array.from([1.5, 0, 0, Number.POSITIVE_INFINITY, -3]), ref, TOLERANCES.exact()).bad).toBe(1);
    expect(compareValues(Float32Array.from([1.5, Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, -3]), ref, TOLERANCES.exact()).bad).toBe(1);
    expect(compareValues(Float32Array.from([1.5, 0, Number.NaN, Number.NEGATIVE_INFINITY, -3]), ref, TOLERANCES.exact()).bad).toBe(1);
    expect(compareValues(Float32Array.from([1.5, 0]), ref, TOLERANCES.exact()).bad).toBe(1);
  });

  test('ulps: 4 ulps pass, 5 do not (across zero and in the denormals too)', () => {
    let x = 0.3;
    for (let i = 0; i < 4; i++) x = next(x);
    expect(ulpDistance(x, Math.fround(0.3))).toBe(4);
    expect(compareValues([x], Float32Array.from([0.3]), TOLERANCES.transcendental()).problems).toEqual([]);
    expect(compareValues([next(x)], Float32Array.from([0.3]), TOLERANCES.transcendental()).bad).toBe(1);
    expect(ulpDistance(2 ** -149, -(2 ** -149))).toBe(2);
    expect(compareValues([0], [2 ** -149 * 5], TOLERANCES.transcendental()).bad).toBe(1);
  });

  test('dot bound: 2(k+2)U sum|terms| passes, twice that does not', () => {
    const k = 100;
    const mag = [50];
    const allowed = 2 * (k + 2) * U * 50;
    expect(compareValues([3 + 0.9 * allowed], [3], TOLERANCES.dot(k), mag).problems).toEqual([]);
    expect(compareValues([3 + 2 * allowed], [3], TOLERANCES.dot(k), mag).bad).toBe(1);
    expect(() => compareValues([3], [3], TOLERANCES.dot(k))).toThrow(/magnitudes/);
  });

  test('composite: relative to the largest reference value', () => {
    const ref = [100, 1e-3];
    expect(compareValues([100, 1e-3 + 100 * 200 * U], ref, TOLERANCES.composite()).problems).toEqual([]);
    expect(compareValues([100, 1e-3 + 100 * 300 * U], ref, TOLERANCES.composite()).bad).toBe(1);
  });
});

// ---- end-to-end: a kdlts kernel made wrong on purpose must fail its case ------------------------

type Backend = { data: { get(id: unknown): { values: Float32Array } }; makeTensorInfo(s: number[], d: string, v: Float32Array): TensorInfo };

/** A kdlts kernel whose output values are edited by `edit`. */
function editOutput(edit: (values: Float32Array) => void) {
  return (original: KernelFunc): KernelFunc => (args) => {
    const out = original(args) as TensorInfo;
    edit((args.backend as unknown as Backend).data.get(out.dataId).values);
    return out;
  };
}

describe('harness self-check: deliberately wrong kdlts kernels are rejected', () => {
  test('the unmodified cases pass', async () => {
    for (const name of ['Add [2,3,4,5] x [5]', 'conv2d x[2,7,9,3] f3x3->16 s2 same', 'maxPool x[1,5,5,2] f3 s1 valid (ties: overlapping all-zero windows)']) {
      expect((await checkCase(findCase(name))).problems).toEqual([]);
    }
  });

  test('Add off by one ulp in one element', async () => {
    const report = await withKdltsKernel('Add', editOutput((v) => {
      const i = new Int32Array(v.buffer, v.byteOffset, 1);
      i[0] += 1;
    }), () => checkCase(findCase('Add [2,3,4,5] x [5]')));
    expect(report.problems.join('\n')).toMatch(/exact expected, 1 ulps/);
  });

  // (dot tolerance here: 2 (k + 2) U sum|terms| with k = 27 forward, 40 for the filter
  // gradient, sum|terms| ~ 10..30: ~1e-4 at most, so 1e-3 (|v| + 1) is always out.)
  test('Conv2D off by 1e-3 relative in one element', async () => {
    const report = await withKdltsKernel('Conv2D', editOutput((v) => {
      v[7] += 1e-3 * (Math.abs(v[7]) + 1);
    }), () => checkCase(findCase('conv2d x[2,7,9,3] f3x3->16 s2 same')));
    expect(report.problems.join('\n')).toMatch(/forward\[7\]/);
  });

  test('Conv2DBackpropFilter off in one element', async () => {
    const report = await withKdltsKernel('Conv2DBackpropFilter', editOutput((v) => {
      v[0] += 1e-3 * (Math.abs(v[0]) + 1);
    }), () => checkCase(findCase('conv2d x[2,7,9,3] f3x3->16 s2 same')));
    expect(report.problems.join('\n')).toMatch(/d\/d input 1\[0\]/);
  });

  test('MaxPoolGrad routing a tie to the next position instead of the first', async () => {
    // All windows tied at 0: tfjs sends each dy to the window's first element.
    const report = await withKdltsKernel('MaxPoolGrad', editOutput((v) => {
      const channels = 2;
      for (let i = 0; i + channels < v.length; i++) {
        if (v[i] !== 0) {
          v[i + channels] += v[i];
          v[i] = 0;
          break;
        }
      }
    }), () => checkCase(findCase('maxPool x[1,5,5,2] f3 s1 valid (ties: overlapping all-zero windows)')));
    expect(report.problems.join('\n')).toMatch(/d\/d input 0/);
  });

  test('Relu turning NaN into 0', async () => {
    const report = await withKdltsKernel('Relu', editOutput((v) => {
      for (let i = 0; i < v.length; i++) if (Number.isNaN(v[i])) v[i] = 0;
    }), () => checkCase(findCase('relu [64] (NaN, Inf, -0)')));
    expect(report.problems.join('\n')).toMatch(/NaN mismatch/);
  });

  test('Sum accumulating in float32 instead of float64', async () => {
    const report = await withKdltsKernel('Sum', (original) => (args) => {
      const out = original(args) as TensorInfo;
      const backend = args.backend as unknown as Backend;
      const x = backend.data.get((args.inputs as { x: TensorInfo }).x.dataId).values;
      const y = backend.data.get(out.dataId).values;
      const cols = x.length / y.length; // [4, 50000] over axis 1: contiguous rows
      for (let r = 0; r < y.length; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s = Math.fround(s + x[r * cols + c]);
        y[r] = s;
      }
      return out;
    }, () => checkCase(findCase('sum [4,50000] axis 1 (long rows)')));
    expect(report.problems.join('\n')).toMatch(/forward\[\d\]/);
  });

  test('a kernel that leaks a buffer, and one that writes to its input', async () => {
    const leaky = await withKdltsKernel('Neg', (original) => (args) => {
      (args.backend as unknown as Backend).makeTensorInfo([1], 'float32', new Float32Array(1));
      return original(args);
    }, () => checkCase(findCase('neg [3,5]')));
    expect(leaky.problems.join('\n')).toMatch(/kdlts: leaked 0 tensors, [1-9]\d* buffers/);

    const writer = await withKdltsKernel('Abs', (original) => (args) => {
      const out = original(args);
      const x = (args.inputs as { x: TensorInfo }).x;
      (args.backend as unknown as Backend).data.get(x.dataId).values[0] = 42;
      return out;
    }, () => checkCase(findCase('abs [3,5]')));
    expect(writer.problems.join('\n')).toMatch(/kdlts: wrote to inputs 0/);
  });

  (status.native ? test : test.skip)('a native kernel that silently hands everything to cpu', async () => {
    const report = await withKdltsKernel('Relu', () => (args) => tf.getKernel('Relu', 'cpu')!.kernelFunc(args), () => checkCase(findCase('relu [3,5]')));
    expect(report.problems.join('\n')).toMatch(/Relu did not run natively/);
  });
});
