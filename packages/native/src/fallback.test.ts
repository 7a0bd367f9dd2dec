// Which engine serves the package's ops: the addon when it loads; the TypeScript reference, after
// a one-line warning, when it cannot (missing file, failed load); the reference without a
// warning when KDLTS_NATIVE=reference asks for it. Each scenario loads a fresh copy of the
// package (jest.isolateModules), with the environment or the file system faked where needed,
// and never touches the real build.
import { addonPath } from './binding';

type IndexModule = typeof import('./index');

interface Loaded {
  index: IndexModule;
  warnings: string[];
}

/** Loads ./index afresh with KDLTS_NATIVE set as given; `setup` may register mocks first. */
function loadIndex(env: string | undefined, setup: () => void = () => undefined): Loaded {
  const saved = process.env.KDLTS_NATIVE;
  const warnings: string[] = [];
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((warning: string | Error) => {
    warnings.push(typeof warning === 'string' ? warning : warning.message);
  }) as typeof process.emitWarning);
  try {
    if (env === undefined) delete process.env.KDLTS_NATIVE;
    else process.env.KDLTS_NATIVE = env;
    let index: IndexModule | undefined;
    jest.isolateModules(() => {
      setup();
      index = require('./index') as IndexModule;
    });
    return { index: index!, warnings };
  } finally {
    spy.mockRestore();
    if (saved === undefined) delete process.env.KDLTS_NATIVE;
    else process.env.KDLTS_NATIVE = saved;
  }
}

/** The documented example through the package's friendly API: x = [0.55, 0.45, 0, 1]. */
function expectWorkingOps(index: IndexModule) {
  const x = index.projectCappedSimplex(new Float32Array([0.9, 0.8, 0.1, 2.0]), 2);
  [0.55, 0.45, 0, 1].forEach((want, i) => expect(Math.abs(x[i] - want)).toBeLessThanOrEqual(1e-6)); // float32 inputs and output
  expect(Array.from(index.topkMask(new Float32Array([0.5, 0.1, 0.9, 0.5, -1]), 2))).toEqual([1, 0, 1, 0, 0]);
}

describe('engine selection', () => {
  // jest.doMock registrations outlive isolateModules: drop them after every scenario
  const mocked: string[] = [];
  const doMock = (name: string, factory: () => unknown, options?: { virtual: boolean }) => {
    mocked.push(name);
    jest.doMock(name, factory, options);
  };
  afterEach(() => {
    for (const name of mocked.splice(0)) jest.dontMock(name);
  });

  it('KDLTS_NATIVE=reference selects the reference on purpose, without a warning', () => {
    const { index, warnings } = loadIndex('reference');
    const info = index.nativeInfo();
    expect(info.engine).toBe('reference');
    expect(info.reason).toBe('KDLTS_NATIVE=reference');
    expect(info.gemmEngine).toBe('reference');
    expect(index.binding).toBe(index.referenceBinding);
    expect(warnings).toEqual([]);
    expectWorkingOps(index);
  });

  it('a missing addon falls back to the reference with a one-line warning', () => {
    const file = addonPath();
    const { index, warnings } = loadIndex(undefined, () => {
      doMock('fs', () => {
        const fs = jest.requireActual<typeof import('fs')>('fs');
        return { ...fs, existsSync: (p: import('fs').PathLike) => (String(p) === file ? false : fs.existsSync(p)) };
      });
    });
    const info = index.nativeInfo();
    expect(info.engine).toBe('reference');
    expect(info.reason).toContain(`${file} is missing`);
    expect(index.binding).toBe(index.referenceBinding);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('\n');
    expect(warnings[0]).toMatch(/^kdlts: native core unavailable, using the TypeScript reference \(.*is missing: run `npm run build`\)$/);
    expectWorkingOps(index);
  });

  it('an addon that fails to load falls back to the reference with a one-line warning', () => {
    const file = addonPath();
    const { index, warnings } = loadIndex(undefined, () => {
      doMock('fs', () => {
        const fs = jest.requireActual<typeof import('fs')>('fs');
        return { ...fs, existsSync: (p: import('fs').PathLike) => (String(p) === file ? true : fs.existsSync(p)) };
      });
      doMock(
        file,
        () => {
          throw new Error('invalid ELF header');
        },
        { virtual: true },
      );
    });
    expect(index.nativeInfo().engine).toBe('reference');
    expect(index.nativeInfo().reason).toContain('failed to load: invalid ELF header');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('\n');
    expect(warnings[0]).toContain('failed to load: invalid ELF header');
    expectWorkingOps(index);
  });

  it('the built addon loads and serves the ops (unless KDLTS_NATIVE=reference)', () => {
    const env = process.env.KDLTS_NATIVE;
    const { index, warnings } = loadIndex(env);
    const info = index.nativeInfo();
    if (env === 'reference') {
      expect(info.engine).toBe('reference');
      return;
    }
    // Fails when the addon is not built: `npm run build -w @kdlts/native-core` builds it.
    expect({ engine: info.engine, reason: info.reason }).toEqual({ engine: 'native', reason: undefined });
    expect(warnings).toEqual([]);
    expect(index.binding).not.toBe(index.referenceBinding);
    expect(typeof info.version).toBe('string');
    expect(['openblas', 'cblas', 'builtin']).toContain(info.gemmEngine);
    expect(info.hardwareThreads).toBeGreaterThanOrEqual(1);
    expect(info.cudaDevices).toBeGreaterThanOrEqual(0);
    if (!info.cudaCompiled) expect(info.cudaDevices).toBe(0);
    expectWorkingOps(index);
  });

  it('`reference` always runs on the TypeScript reference', () => {
    const { index } = loadIndex(process.env.KDLTS_NATIVE);
    const x = index.reference.projectCappedSimplex(new Float32Array([1, 1, 0]), 1.5);
    expect(Array.from(x)).toEqual([0.75, 0.75, 0]);
  });
});
