// The friendly API (createOps) over every available binding: defaults, allocated outputs,
// global-or-grouped arguments, caller-supplied outputs. The math itself is covered by the
// conformance suite; here only what createOps adds.
import { createOps } from './ops';
import { topkProblems } from './testing/checks';
import { withSeed } from './testing/random';
import { targets, thrown, type Target } from './testing/targets';

describe.each<Target>(targets())('ops: $label', (target: Target) => {
  const ops = createOps(target.binding);
  const { backend, numThreads } = target.exec;
  const exec = { backend, numThreads };

  it('projects globally with a scalar budget and per group with an array', () => {
    const x = ops.projectCappedSimplex(new Float32Array([0.9, 0.8, 0.1, 2.0]), 2, exec);
    expect(x).toBeInstanceOf(Float32Array);
    [0.55, 0.45, 0, 1].forEach((want, i) => expect(Math.abs(x[i] - want)).toBeLessThanOrEqual(1e-6)); // float32 inputs
    const thresholds = new Float64Array(2);
    const grouped = ops.projectCappedSimplex(new Float32Array([1, 1, 0, 7]), [1.5, 0.25], { ...exec, groupSizes: [3, 1], thresholds });
    expect(Array.from(grouped)).toEqual([0.75, 0.75, 0, 0.25]); // exact: dyadic values
    expect(thresholds[0]).toBeCloseTo(0.25, 12);
    expect(thresholds[1]).toBeCloseTo(6.75, 12);
  });

  it('writes into a caller-supplied output, in place included', () => {
    const y = new Float32Array([1, 1, 0]);
    expect(ops.projectCappedSimplex(y, 1.5, { ...exec, out: y })).toBe(y);
    expect(Array.from(y)).toEqual([0.75, 0.75, 0]);
    const out = new Float32Array(5);
    expect(ops.topkMask(new Float32Array([0.5, 0.1, 0.9, 0.5, -1]), 2, { ...exec, out })).toBe(out);
    expect(Array.from(out)).toEqual([1, 0, 1, 0, 0]);
  });

  it('returns a Uint8Array top-k mask by default, per group when asked', () =>
    withSeed(`${target.label}: ops topk`, (rng) => {
      const sizes = [rng.int(0, 50), rng.int(1, 500)];
      const scores = rng.choices(sizes[0] + sizes[1], [0, 1, 2]);
      const ks = sizes.map((n) => rng.int(0, n + 1));
      const mask = ops.topkMask(scores, ks, { ...exec, groupSizes: sizes });
      expect(mask).toBeInstanceOf(Uint8Array);
      expect(topkProblems(scores, sizes, ks, mask)).toEqual([]);
    }));

  it('computes Gram matrices and their gradients with normalisation on by default', async () => {
    const f = new Float32Array([3, 0, 4, 0, 2, 0]);
    const g = ops.gramMatrices([f], 2, exec);
    expect(Array.from(g).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([1, 0, 0, 1]);
    expect(Array.from(ops.gramMatrices([f], 2, { ...exec, normalize: false }))).toEqual([25, 0, 0, 4]);
    const [df] = ops.gramMatricesBackward([new Float32Array([1, 2, 3, 4])], new Float32Array([0, 1, 0, 0]), 2, { ...exec, normalize: false });
    expect(Array.from(df)).toEqual([3, 4, 1, 2]);
    const gAsync = await ops.gramMatricesAsync([f], 2, exec);
    expect(Array.from(gAsync)).toEqual(Array.from(g));
  });

  it('rejects a budget count that does not match the groups (synchronously, like the binding)', () => {
    const error = thrown(() => ops.topkMask(new Float32Array(4), [1, 1], exec));
    expect(error.name).toBe('RangeError');
    expect(error.message).toBe('topkMask: 2 budget(s) for 1 group(s): pass one budget per entry of options.groupSizes');
    expect(() => ops.projectCappedSimplexAsync(new Float32Array(4), [1], { ...exec, groupSizes: [2, 2] })).toThrow(
      'projectCappedSimplexAsync: 1 budget(s) for 2 group(s)',
    );
  });
});
