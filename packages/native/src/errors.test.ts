// Errors, run against every available binding: wrong types -> TypeError naming the argument,
// wrong lengths / non-integer sizes -> RangeError naming it, failures inside an op -> Error with
// `code` = 'KDLTS_ERR_...' and message "fn: ...". Messages from the binding layer and the C API's
// validation are compared exactly (the reference must be indistinguishable from the addon);
// messages from inside the kernels (NaN / Inf) must name the argument and the element.
import type { BindingModule, ExecOptions } from './binding';
import { referenceBinding } from './reference';
import { withSeed } from './testing/random';
import { nativeAddon, rejection, targets, thrown, type CaughtError, type Target } from './testing/targets';

const P = { normalize: true, eps: 1e-12 };
const f32 = (n: number) => new Float32Array(n);

interface ArgumentCase {
  title: string;
  call: (b: BindingModule, exec: ExecOptions) => unknown;
  name: 'TypeError' | 'RangeError' | 'Error';
  message: string;
  code?: string;
}

// Binding-layer and C-validation failures with their exact messages (native/binding/*.cpp, native/src/api.cpp).
const argumentCases: ArgumentCase[] = [
  // gramForward
  { title: 'features not an array', call: (b, e) => b.gramForward(f32(4) as never, 2, f32(4), P, e), name: 'TypeError', message: "gramForward: argument 'features' must be an array of Float32Arrays, got Float32Array" },
  { title: 'features[1] of the wrong type', call: (b, e) => b.gramForward([f32(4), new Float64Array(4) as never], 2, f32(8), P, e), name: 'TypeError', message: "gramForward: argument 'features[1]' must be a Float32Array, got Float64Array" },
  { title: 'batch a string', call: (b, e) => b.gramForward([f32(4)], '2' as never, f32(4), P, e), name: 'TypeError', message: "gramForward: argument 'batch' must be a number, got a string" },
  { title: 'batch fractional', call: (b, e) => b.gramForward([f32(4)], 1.5, f32(4), P, e), name: 'RangeError', message: "gramForward: argument 'batch' must be a non-negative integer, got 1.500000" },
  { title: 'batch negative', call: (b, e) => b.gramForward([f32(4)], -2, f32(4), P, e), name: 'RangeError', message: "gramForward: argument 'batch' must be a non-negative integer, got -2.000000" },
  { title: 'grams of the wrong type', call: (b, e) => b.gramForward([f32(4)], 2, new Uint8Array(4) as never, P, e), name: 'TypeError', message: "gramForward: argument 'grams' must be a Float32Array, got Uint8Array" },
  { title: 'features[1] not a multiple of batch', call: (b, e) => b.gramForward([f32(4), f32(5)], 2, f32(8), P, e), name: 'RangeError', message: "gramForward: argument 'features[1]' has length 5, not a multiple of batch = 2" },
  { title: 'batch 0 with data', call: (b, e) => b.gramForward([f32(4)], 0, f32(0), P, e), name: 'RangeError', message: "gramForward: argument 'features[0]' has length 4, not a multiple of batch = 0" },
  { title: 'options null', call: (b, e) => b.gramForward([f32(4)], 2, f32(4), null as never, e), name: 'TypeError', message: "gramForward: argument 'options' must be an object" },
  { title: 'options.normalize a number', call: (b, e) => b.gramForward([f32(4)], 2, f32(4), { normalize: 1, eps: 0 } as never, e), name: 'TypeError', message: "gramForward: argument 'options.normalize' must be a boolean" },
  { title: 'options.eps missing', call: (b, e) => b.gramForward([f32(4)], 2, f32(4), { normalize: true } as never, e), name: 'TypeError', message: "gramForward: argument 'options.eps' must be a number, got undefined" },
  { title: 'options.eps negative', call: (b, e) => b.gramForward([f32(4)], 2, f32(4), { normalize: true, eps: -1 }, e), name: 'RangeError', message: "gramForward: argument 'options.eps' must be >= 0" },
  { title: 'options.eps NaN', call: (b, e) => b.gramForward([f32(4)], 2, f32(4), { normalize: true, eps: NaN }, e), name: 'RangeError', message: "gramForward: argument 'options.eps' must be finite, got nan" },
  { title: 'options.eps beyond float32', call: (b, e) => b.gramForward([f32(4)], 2, f32(4), { normalize: true, eps: 1e300 }, e), name: 'Error', code: 'KDLTS_ERR_INVALID_ARGUMENT', message: 'gramForward: params.eps must be finite and >= 0' },
  { title: 'grams too short', call: (b, e) => b.gramForward([f32(4), f32(6)], 2, f32(7), P, e), name: 'RangeError', message: "gramForward: argument 'grams' has length 7, expected 8 (features.length * batch * batch)" },
  // gramBackward
  { title: 'dgrams of the wrong type', call: (b, e) => b.gramBackward([f32(4)], [0, 0, 0, 0] as never, 2, [f32(4)], P, e), name: 'TypeError', message: "gramBackward: argument 'dgrams' must be a Float32Array, got an array" },
  { title: 'dfeatures not an array', call: (b, e) => b.gramBackward([f32(4)], f32(4), 2, f32(4) as never, P, e), name: 'TypeError', message: "gramBackward: argument 'dfeatures' must be an array of Float32Arrays, got Float32Array" },
  { title: 'dgrams too long', call: (b, e) => b.gramBackward([f32(4)], f32(5), 2, [f32(4)], P, e), name: 'RangeError', message: "gramBackward: argument 'dgrams' has length 5, expected 4 (features.length * batch * batch)" },
  { title: 'too few dfeatures', call: (b, e) => b.gramBackward([f32(4), f32(2)], f32(8), 2, [f32(4)], P, e), name: 'RangeError', message: "gramBackward: argument 'dfeatures' has length 1, expected 2 (one block per feature block)" },
  { title: 'dfeatures[1] of another shape', call: (b, e) => b.gramBackward([f32(4), f32(2)], f32(8), 2, [f32(4), f32(4)], P, e), name: 'RangeError', message: "gramBackward: argument 'dfeatures[1]' has length 4, expected 2 (same shape as features[1])" },
  {
    title: 'dfeatures aliasing features',
    call: (b, e) => {
      const f = f32(4);
      return b.gramBackward([f], f32(4), 2, [new Float32Array(f.buffer)], P, e);
    },
    name: 'RangeError',
    message: "gramBackward: argument 'dfeatures[0]' must not share memory with features[0]",
  },
  { title: 'backward options.normalize missing', call: (b, e) => b.gramBackward([f32(4)], f32(4), 2, [f32(4)], { eps: 1 } as never, e), name: 'TypeError', message: "gramBackward: argument 'options.normalize' must be a boolean" },
  // projectCappedSimplex
  { title: 'y of the wrong type', call: (b, e) => b.projectCappedSimplex(new Float64Array(2) as never, [2], [1], f32(2), null, e), name: 'TypeError', message: "projectCappedSimplex: argument 'y' must be a Float32Array, got Float64Array" },
  { title: 'groupSizes a number', call: (b, e) => b.projectCappedSimplex(f32(2), 2 as never, [1], f32(2), null, e), name: 'TypeError', message: "projectCappedSimplex: argument 'groupSizes' must be an array of numbers, got a number" },
  { title: 'groupSizes fractional', call: (b, e) => b.projectCappedSimplex(f32(2), [2.5], [1], f32(2), null, e), name: 'RangeError', message: "projectCappedSimplex: argument 'groupSizes[0]' must be a non-negative integer, got 2.500000" },
  { title: 'groupSizes[1] a string', call: (b, e) => b.projectCappedSimplex(f32(2), [1, '1'] as never, [1, 1], f32(2), null, e), name: 'TypeError', message: "projectCappedSimplex: argument 'groupSizes[1]' must be a number, got a string" },
  { title: 'budgets[0] a string', call: (b, e) => b.projectCappedSimplex(f32(2), [2], ['1'] as never, f32(2), null, e), name: 'TypeError', message: "projectCappedSimplex: argument 'budgets[0]' must be a number, got a string" },
  { title: 'budgets[0] infinite', call: (b, e) => b.projectCappedSimplex(f32(2), [2], [Infinity], f32(2), null, e), name: 'RangeError', message: "projectCappedSimplex: argument 'budgets[0]' must be finite, got inf" },
  { title: 'x a plain array', call: (b, e) => b.projectCappedSimplex(f32(2), [2], [1], [0, 0] as never, null, e), name: 'TypeError', message: "projectCappedSimplex: argument 'x' must be a Float32Array, got an array" },
  { title: 'y longer than the groups', call: (b, e) => b.projectCappedSimplex(f32(5), [2, 2], [1, 1], f32(5), null, e), name: 'RangeError', message: "projectCappedSimplex: argument 'y' has length 5, expected 4 (the sum of groupSizes)" },
  { title: 'x shorter than y', call: (b, e) => b.projectCappedSimplex(f32(4), [2, 2], [1, 1], f32(3), null, e), name: 'RangeError', message: "projectCappedSimplex: argument 'x' has length 3, expected 4 (same length as y)" },
  { title: 'one budget for two groups', call: (b, e) => b.projectCappedSimplex(f32(4), [2, 2], [1], f32(4), null, e), name: 'RangeError', message: "projectCappedSimplex: argument 'budgets' has length 1, expected 2 (one budget per group)" },
  { title: 'thresholds of the wrong type', call: (b, e) => b.projectCappedSimplex(f32(4), [2, 2], [1, 1], f32(4), f32(2) as never, e), name: 'TypeError', message: "projectCappedSimplex: argument 'thresholds' must be a Float64Array, got Float32Array" },
  { title: 'thresholds too short', call: (b, e) => b.projectCappedSimplex(f32(4), [2, 2], [1, 1], f32(4), new Float64Array(1), e), name: 'RangeError', message: "projectCappedSimplex: argument 'thresholds' has length 1, expected 2 (one per group)" },
  { title: 'budget above the group size', call: (b, e) => b.projectCappedSimplex(f32(4), [2, 2], [1, 3.5], f32(4), null, e), name: 'Error', code: 'KDLTS_ERR_INFEASIBLE', message: "projectCappedSimplex: params.budgets[1] = 3.500000 is outside [0, 2] (the group's size)" },
  { title: 'negative budget', call: (b, e) => b.projectCappedSimplex(f32(4), [4], [-0.25], f32(4), null, e), name: 'Error', code: 'KDLTS_ERR_INFEASIBLE', message: "projectCappedSimplex: params.budgets[0] = -0.250000 is outside [0, 4] (the group's size)" },
  { title: 'a budget for an empty group', call: (b, e) => b.projectCappedSimplex(f32(0), [0], [1], f32(0), null, e), name: 'Error', code: 'KDLTS_ERR_INFEASIBLE', message: "projectCappedSimplex: params.budgets[0] = 1.000000 is outside [0, 0] (the group's size)" },
  // topkMask
  { title: 'scores of the wrong type', call: (b, e) => b.topkMask(new Int32Array(3) as never, [3], [1], new Uint8Array(3), e), name: 'TypeError', message: "topkMask: argument 'scores' must be a Float32Array, got Int32Array" },
  { title: 'groupSizes undefined', call: (b, e) => b.topkMask(f32(3), undefined as never, [1], new Uint8Array(3), e), name: 'TypeError', message: "topkMask: argument 'groupSizes' must be an array of numbers, got undefined" },
  { title: 'k fractional', call: (b, e) => b.topkMask(f32(3), [3], [1.5], new Uint8Array(3), e), name: 'RangeError', message: "topkMask: argument 'k[0]' must be a non-negative integer, got 1.500000" },
  { title: 'k negative', call: (b, e) => b.topkMask(f32(3), [3], [-1], new Uint8Array(3), e), name: 'RangeError', message: "topkMask: argument 'k[0]' must be a non-negative integer, got -1.000000" },
  { title: 'mask a Uint8ClampedArray', call: (b, e) => b.topkMask(f32(3), [3], [1], new Uint8ClampedArray(3) as never, e), name: 'TypeError', message: "topkMask: argument 'mask' must be a Uint8Array or a Float32Array, got Uint8ClampedArray" },
  { title: 'mask null', call: (b, e) => b.topkMask(f32(3), [3], [1], null as never, e), name: 'TypeError', message: "topkMask: argument 'mask' must be a Uint8Array or a Float32Array, got null" },
  { title: 'scores shorter than the groups', call: (b, e) => b.topkMask(f32(3), [2, 2], [1, 1], new Uint8Array(3), e), name: 'RangeError', message: "topkMask: argument 'scores' has length 3, expected 4 (the sum of groupSizes)" },
  { title: 'mask longer than scores', call: (b, e) => b.topkMask(f32(3), [3], [1], new Float32Array(4), e), name: 'RangeError', message: "topkMask: argument 'mask' has length 4, expected 3 (same length as scores)" },
  { title: 'two k for one group', call: (b, e) => b.topkMask(f32(3), [3], [1, 1], new Uint8Array(3), e), name: 'RangeError', message: "topkMask: argument 'k' has length 2, expected 1 (one k per group)" },
  { title: 'k above the group size', call: (b, e) => b.topkMask(f32(3), [3], [4], new Uint8Array(3), e), name: 'Error', code: 'KDLTS_ERR_INFEASIBLE', message: "topkMask: params.k[0] = 4 is outside [0, 3] (the group's size)" },
  { title: 'k for an empty group', call: (b, e) => b.topkMask(f32(2), [2, 0], [1, 1], new Uint8Array(2), e), name: 'Error', code: 'KDLTS_ERR_INFEASIBLE', message: "topkMask: params.k[1] = 1 is outside [0, 0] (the group's size)" },
  // exec options (the same parser serves every op)
  { title: 'exec a string', call: (b) => b.topkMask(f32(3), [3], [1], new Uint8Array(3), 'cpu' as never), name: 'TypeError', message: "topkMask: argument 'exec' must be an object, got a string" },
  { title: 'exec.backend unknown', call: (b) => b.projectCappedSimplex(f32(2), [2], [1], f32(2), null, { backend: 'gpu' as never }), name: 'TypeError', message: "projectCappedSimplex: argument 'exec.backend' must be 'auto', 'cpu' or 'cuda'" },
  { title: 'exec.numThreads negative', call: (b) => b.gramForward([f32(4)], 2, f32(4), P, { numThreads: -1 }), name: 'RangeError', message: "gramForward: argument 'exec.numThreads' must be a non-negative integer, got -1.000000" },
  { title: 'exec.numThreads too large', call: (b) => b.copyF32(f32(2), f32(2), { numThreads: 5000 }), name: 'RangeError', message: "copyF32: argument 'exec.numThreads' must be <= 4096" },
  { title: 'exec.numThreads a string', call: (b) => b.sgemm(f32(1), f32(1), f32(1), { m: 1, n: 1, k: 1 }, { numThreads: '2' as never }), name: 'TypeError', message: "sgemm: argument 'exec.numThreads' must be a number, got a string" },
  // sgemm and copyF32
  { title: 'sgemm shape missing', call: (b, e) => b.sgemm(f32(1), f32(1), f32(1), undefined as never, e), name: 'TypeError', message: "sgemm: argument 'shape' must be an object" },
  { title: 'sgemm shape.k fractional', call: (b, e) => b.sgemm(f32(1), f32(1), f32(1), { m: 1, n: 1, k: 0.5 }, e), name: 'RangeError', message: "sgemm: argument 'shape.k' must be a non-negative integer, got 0.500000" },
  { title: 'sgemm alpha NaN', call: (b, e) => b.sgemm(f32(1), f32(1), f32(1), { m: 1, n: 1, k: 1, alpha: NaN }, e), name: 'RangeError', message: "sgemm: argument 'shape.alpha' must be finite, got nan" },
  { title: 'sgemm a too short', call: (b, e) => b.sgemm(f32(5), f32(6), f32(4), { m: 2, n: 2, k: 3 }, e), name: 'RangeError', message: "sgemm: argument 'a' has length 5, needs 6 for a 2 x 3 matrix with row stride 3" },
  { title: 'sgemm lda below the columns', call: (b, e) => b.sgemm(f32(6), f32(6), f32(4), { m: 2, n: 2, k: 3, lda: 2 }, e), name: 'RangeError', message: "sgemm: argument 'a': row stride 2 is smaller than its 3 columns" },
  { title: 'sgemm transposed b too short', call: (b, e) => b.sgemm(f32(6), f32(5), f32(4), { m: 2, n: 2, k: 3, transB: true }, e), name: 'RangeError', message: "sgemm: argument 'b' has length 5, needs 6 for a 2 x 3 matrix with row stride 3" },
  { title: 'copy dst too short', call: (b, e) => b.copyF32(f32(3), f32(2), e), name: 'RangeError', message: "copyF32: argument 'dst' has length 2, expected 3 (same length as src)" },
  { title: 'copy src a Buffer', call: (b, e) => b.copyF32(Buffer.alloc(4) as never, f32(4), e), name: 'TypeError', message: "copyF32: argument 'src' must be a Float32Array, got Uint8Array" },
];

function expectError(error: CaughtError, want: { name: string; message: string | RegExp; code?: string }) {
  expect(error.name).toBe(want.name);
  if (typeof want.message === 'string') expect(error.message).toBe(want.message);
  else expect(error.message).toMatch(want.message);
  expect(error.code).toBe(want.code); // undefined for TypeError / RangeError
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A kernel's non-finite error: code KDLTS_ERR_NON_FINITE, message "fn: ..." naming the argument
 * and the element: its flat index, or every number of one of the `alternatives` (e.g. the row
 * and column, or the index within its group).
 */
function expectNonFinite(error: CaughtError, fn: string, argument: string, index: number, alternatives: number[][] = []) {
  expect(error.name).toBe('Error');
  expect(error.code).toBe('KDLTS_ERR_NON_FINITE');
  expect(error.message.startsWith(`${fn}: `)).toBe(true);
  const body = error.message.slice(fn.length + 2);
  expect(body).toMatch(new RegExp(`(^|[^\\w])${escape(argument)}([^\\w]|$)`));
  const names = (n: number) => new RegExp(`(^|[^\\d.])${n}([^\\d.]|$)`).test(body);
  const named = names(index) || alternatives.some((numbers) => numbers.every(names));
  if (!named) throw new Error(`the message ${JSON.stringify(error.message)} does not name element ${index} of ${argument}`);
}

describe.each<Target>(targets())('errors: $label', (target: Target) => {
  const { binding, exec } = target;

  describe('argument checks', () => {
    it.each(argumentCases)('$title', (c) => {
      expectError(thrown(() => c.call(binding, exec)), c);
    });
  });

  describe('async forms', () => {
    it('throw argument errors synchronously (before a Promise exists)', () => {
      expectError(thrown(() => binding.topkMaskAsync(f32(3), [3], [1], new Int8Array(3) as never, exec)), {
        name: 'TypeError',
        message: "topkMaskAsync: argument 'mask' must be a Uint8Array or a Float32Array, got Int8Array",
      });
      expectError(thrown(() => binding.projectCappedSimplexAsync(f32(4), [2, 2], [1], f32(4), null, exec)), {
        name: 'RangeError',
        message: "projectCappedSimplexAsync: argument 'budgets' has length 1, expected 2 (one budget per group)",
      });
      expectError(thrown(() => binding.gramForwardAsync([f32(3)], 2, f32(4), P, exec)), {
        name: 'RangeError',
        message: "gramForwardAsync: argument 'features[0]' has length 3, not a multiple of batch = 2",
      });
      expectError(thrown(() => binding.gramBackwardAsync([f32(4)], f32(4), 2, [f32(3)], P, exec)), {
        name: 'RangeError',
        message: "gramBackwardAsync: argument 'dfeatures[0]' has length 3, expected 4 (same shape as features[0])",
      });
      expectError(thrown(() => binding.sgemmAsync(f32(1), f32(1), f32(1), { m: 1, n: 1, k: -1 }, exec)), {
        name: 'RangeError',
        message: "sgemmAsync: argument 'shape.k' must be a non-negative integer, got -1.000000",
      });
      expectError(thrown(() => binding.copyF32Async(f32(1), new Float64Array(1) as never, exec)), {
        name: 'TypeError',
        message: "copyF32Async: argument 'dst' must be a Float32Array, got Float64Array",
      });
    });

    it('reject (not throw) failures inside an op', async () => {
      expectError(await rejection(() => binding.projectCappedSimplexAsync(f32(4), [2, 2], [1, 3.5], f32(4), null, exec)), {
        name: 'Error',
        code: 'KDLTS_ERR_INFEASIBLE',
        message: "projectCappedSimplexAsync: params.budgets[1] = 3.500000 is outside [0, 2] (the group's size)",
      });
      expectError(await rejection(() => binding.topkMaskAsync(f32(3), [3], [4], new Uint8Array(3), exec)), {
        name: 'Error',
        code: 'KDLTS_ERR_INFEASIBLE',
        message: "topkMaskAsync: params.k[0] = 4 is outside [0, 3] (the group's size)",
      });
      expectError(await rejection(() => binding.gramForwardAsync([f32(4)], 2, f32(4), { normalize: false, eps: 1e300 }, exec)), {
        name: 'Error',
        code: 'KDLTS_ERR_INVALID_ARGUMENT',
        message: 'gramForwardAsync: params.eps must be finite and >= 0',
      });
      const y = Float32Array.from([0, 1, NaN, 2]);
      expectNonFinite(await rejection(() => binding.projectCappedSimplexAsync(y, [4], [1], f32(4), null, exec)), 'projectCappedSimplexAsync', 'y', 2);
      expectNonFinite(await rejection(() => binding.topkMaskAsync(y, [4], [1], new Uint8Array(4), exec)), 'topkMaskAsync', 'scores', 2);
    });
  });

  describe('non-finite inputs', () => {
    it('projection: NaN, +Inf and -Inf in y name the element', () =>
      withSeed(`${target.label}: errors projection non-finite`, (rng) => {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const n = rng.int(40, 2000);
          const index = rng.int(22, n); // >= 11: not to be mistaken for a group number or a budget in the message
          const y = rng.normals(n);
          y[index] = bad;
          expectNonFinite(thrown(() => binding.projectCappedSimplex(y, [n], [1.5], f32(n), null, exec)), 'projectCappedSimplex', 'y', index);
          // in a later group: the global index or the index within the group (also >= 11)
          const first = rng.int(1, index - 10);
          expectNonFinite(
            thrown(() => binding.projectCappedSimplex(y, [first, n - first], [0.5, 1], f32(n), null, exec)),
            'projectCappedSimplex',
            'y',
            index,
            [[index - first]],
          );
        }
      }));

    it('top-k: NaN in scores names the element; +/-Inf are allowed', () =>
      withSeed(`${target.label}: errors topk nan`, (rng) => {
        const n = rng.int(40, 2000);
        const index = rng.int(22, n);
        const scores = rng.normals(n);
        scores[index] = NaN;
        expectNonFinite(thrown(() => binding.topkMask(scores, [n], [3], new Uint8Array(n), exec)), 'topkMask', 'scores', index);
        expectNonFinite(thrown(() => binding.topkMask(scores, [n], [3], new Float32Array(n), exec)), 'topkMask', 'scores', index);
        const first = rng.int(1, index - 10);
        expectNonFinite(thrown(() => binding.topkMask(scores, [first, n - first], [0, 1], new Uint8Array(n), exec)), 'topkMask', 'scores', index, [[index - first]]);
        scores[index] = Infinity;
        scores[index - 1] = -Infinity;
        const mask = binding.topkMask(scores, [n], [1], new Uint8Array(n), exec);
        expect(mask[index]).toBe(1);
      }));

    it('gram: NaN / Inf in features name the block and the element, forward and backward', () => {
      // L = 2 blocks, B = 4 rows, D = 6: element 17 of block 1 is row 2, column 5
      for (const bad of [NaN, Infinity, -Infinity]) {
        const features = [Float32Array.from({ length: 8 }, (_, i) => i + 1), Float32Array.from({ length: 24 }, (_, i) => 0.5 - i / 24)];
        features[1][17] = bad;
        expectNonFinite(thrown(() => binding.gramForward(features, 4, f32(32), P, exec)), 'gramForward', 'features[1]', 17, [[2, 5]]);
        const dfeatures = [f32(8), f32(24)];
        expectNonFinite(thrown(() => binding.gramBackward(features, f32(32), 4, dfeatures, P, exec)), 'gramBackward', 'features[1]', 17, [[2, 5]]);
      }
    });

    it('gram backward: NaN in dgrams names the element', () => {
      const features = [Float32Array.from({ length: 8 }, (_, i) => i + 1)];
      const dgrams = f32(16);
      dgrams[13] = NaN; // row 3, column 1 of the 4 x 4 block
      expectNonFinite(thrown(() => binding.gramBackward(features, dgrams, 4, [f32(8)], P, exec)), 'gramBackward', 'dgrams', 13, [[3, 1]]);
    });
  });

  describe('backends', () => {
    const noCuda = binding.info().cudaDevices === 0;
    (noCuda ? it : it.skip)("{backend: 'cuda'} without a CUDA device fails with KDLTS_ERR_BACKEND, sync and async", async () => {
      const cuda: ExecOptions = { backend: 'cuda' };
      const expectBackend = (error: CaughtError, fn: string) => {
        expect(error.name).toBe('Error');
        expect(error.code).toBe('KDLTS_ERR_BACKEND');
        expect(error.message).toMatch(new RegExp(`^${fn}: exec\\.backend: CUDA requested but `));
      };
      expectBackend(thrown(() => binding.gramForward([f32(4)], 2, f32(4), P, cuda)), 'gramForward');
      expectBackend(thrown(() => binding.gramBackward([f32(4)], f32(4), 2, [f32(4)], P, cuda)), 'gramBackward');
      expectBackend(thrown(() => binding.projectCappedSimplex(f32(4), [4], [1], f32(4), null, cuda)), 'projectCappedSimplex');
      expectBackend(thrown(() => binding.topkMask(f32(4), [4], [1], new Uint8Array(4), cuda)), 'topkMask');
      expectBackend(await rejection(() => binding.topkMaskAsync(f32(4), [4], [1], new Uint8Array(4), cuda)), 'topkMaskAsync');
      expectBackend(await rejection(() => binding.projectCappedSimplexAsync(f32(4), [4], [1], f32(4), null, cuda)), 'projectCappedSimplexAsync');
    });

    it("validates a budget before choosing the backend (infeasible wins over a missing CUDA)", () => {
      const error = thrown(() => binding.projectCappedSimplex(f32(2), [2], [3], f32(2), null, { backend: 'cuda' }));
      expect(error.code).toBe('KDLTS_ERR_INFEASIBLE');
    });
  });
});

// With the addon loaded, every argument case above must fail identically in both bindings;
// this states it directly (name, code and message), so a drift in either shows as one diff.
(nativeAddon ? describe : describe.skip)('errors: the reference mirrors the addon', () => {
  it('failures inside the kernels carry the same code and message', () => {
    const y = Float32Array.from([0, 1, 2, 3, 4, NaN, Infinity]);
    const features = [Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 2, Infinity, NaN, 5, 6])];
    const dgrams = f32(8);
    dgrams[6] = -Infinity;
    const cases: [string, (b: BindingModule, e: ExecOptions) => unknown][] = [
      ['projection NaN', (b, e) => b.projectCappedSimplex(y.subarray(0, 6), [2, 4], [1, 1], f32(6), null, e)],
      ['projection Inf', (b, e) => b.projectCappedSimplex(y.subarray(6), [1], [1], f32(1), null, e)],
      ['top-k NaN', (b, e) => b.topkMask(y, [3, 4], [1, 1], new Uint8Array(7), e)],
      ['gram forward Inf', (b, e) => b.gramForward(features, 2, f32(8), P, e)],
      ['gram backward dgrams first', (b, e) => b.gramBackward(features, dgrams, 2, [f32(4), f32(6)], P, e)],
      ['gram overflow', (b, e) => b.gramForward([Float32Array.from([1, 1, 3e19, 3e19])], 2, f32(4), P, e)],
    ];
    const diffs: string[] = [];
    for (const [title, call] of cases) {
      const native = thrown(() => call(nativeAddon!, { backend: 'cpu' }));
      const reference = thrown(() => call(referenceBinding, {}));
      if (JSON.stringify(native) !== JSON.stringify(reference)) diffs.push(`${title}: native ${JSON.stringify(native)} vs reference ${JSON.stringify(reference)}`);
    }
    expect(diffs).toEqual([]);
  });

  it('every argument case fails with the same name, code and message', () => {
    const diffs: string[] = [];
    for (const c of argumentCases) {
      const native = thrown(() => c.call(nativeAddon!, { backend: 'cpu' }));
      const reference = thrown(() => c.call(referenceBinding, {}));
      if (JSON.stringify(native) !== JSON.stringify(reference)) diffs.push(`${c.title}: native ${JSON.stringify(native)} vs reference ${JSON.stringify(reference)}`);
    }
    expect(diffs).toEqual([]);
  });
});

describe('errors: the reference', () => {
  it('names non-finite elements in the native kernels\' words', () => {
    expect(thrown(() => referenceBinding.projectCappedSimplex(Float32Array.from([0, 1, 2, NaN]), [2, 2], [1, 1], f32(4), null)).message).toBe(
      'projectCappedSimplex: y[3] (group 1, element 1) is NaN',
    );
    expect(thrown(() => referenceBinding.topkMask(Float32Array.from([NaN]), [1], [1], new Uint8Array(1))).message).toBe(
      'topkMask: scores[0] (group 0, element 0) is NaN',
    );
    expect(thrown(() => referenceBinding.gramForward([f32(2), Float32Array.from([1, 2, 3, -Infinity])], 2, f32(8), P)).message).toBe(
      'gramForward: features[1] row 1, column 1 is -Inf',
    );
    expect(thrown(() => referenceBinding.gramBackward([f32(2), f32(2)], Float32Array.from([0, 0, 0, 0, 0, 0, Infinity, 0]), 2, [f32(2), f32(2)], P)).message).toBe(
      'gramBackward: dgrams[1] row 1, column 0 is +Inf',
    );
  });
});
