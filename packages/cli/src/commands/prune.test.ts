import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadMask } from '@kdlts/prune';

import { main } from '../program';
import { capture } from '../testing/capture';

const LENET_N = 784 * 300 + 300 * 100 + 100 * 10;

describe('kdlts prune', () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-prune-cli-'));
  afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));
  const args = (method: string, ...extra: string[]) =>
    ['prune', '--method', method, '--model', 'lenet300', '--dataset', 'synthetic', '--sparsity', '0.9', '--runs-dir', runsDir, '--backend', 'kdlts', ...extra];

  test('writes a loadable mask with exactly k ones and report.json; a second invocation finds the finished run', async () => {
    const io = capture();
    expect(await main(args('magnitude'), io)).toBe(0);
    expect(io.stdout).toMatch(/layer\s+shape\s+size\s+kept\s+density/);
    expect(io.stdout).toMatch(/fc1\/kernel\s+\[784, 300\]\s+235200/);
    expect(io.stdout).toContain(`magnitude at sparsity 0.9: kept ${Math.round(0.1 * LENET_N)} of ${LENET_N} weights`);
    const dirs = fs.readdirSync(path.join(runsDir, 'prune'));
    expect(dirs).toEqual([expect.stringMatching(/^lenet300-synthetic-magnitude-[0-9a-f]{10}$/)]);
    const dir = path.join(runsDir, 'prune', dirs[0]);
    const { mask, meta } = loadMask(path.join(dir, 'mask.kmask'));
    expect(mask.count()).toBe(Math.round(0.1 * LENET_N));
    expect(mask.layers.map((l) => l.name)).toEqual(['fc1/kernel', 'fc2/kernel', 'logits/kernel']);
    expect(meta).toMatchObject({ method: 'magnitude', sparsity: 0.9, model: 'lenet300', dataset: 'synthetic' });
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ completed: true, method: 'magnitude', report: { total: { kept: mask.count(), size: LENET_N } } });

    const again = capture();
    expect(await main([...args('magnitude'), '--json', '--batch-size', '64'], again)).toBe(0); // batch size: not used by magnitude
    expect(again.stderr).toContain('finished run found');
    expect(JSON.parse(again.stdout)).toEqual(report);
    expect(fs.readdirSync(path.join(runsDir, 'prune'))).toHaveLength(1);
  });

  test('data-driven and layerwise: snip on two batches keeps exactly k in every layer\'s share', async () => {
    const io = capture();
    expect(await main(args('snip', '--layerwise', '--batches', '2', '--batch-size', '32', '--json'), io)).toBe(0);
    const run = JSON.parse(io.stdout);
    expect(run.settings).toMatchObject({ layerwise: true, batches: 2, batchSize: 32 });
    expect(run.report.total.kept).toBe(Math.round(0.1 * LENET_N));
    for (const l of run.report.layers) expect(l.density).toBeCloseTo(0.1, 3);
  });

  test('kdlts: teachers, search and the time breakdown in the report; early ticket and ticket training on request', async () => {
    const io = capture();
    const kd = ['--teachers', '2', '--teacher-epochs', '1', '--search-steps', '6', '--batch-size', '100', '--no-progress'];
    expect(await main(args('kdlts', ...kd, '--rewind-iteration', '3', '--train-ticket', '--workers', '2'), io)).toBe(0);
    expect(io.stderr).toContain('teachers: 2 × 1 epoch(s) from θ0');
    expect(io.stderr).toMatch(/search done: [\d.]+ s/);
    expect(io.stderr).toContain('ticket: training from the rewind point under the mask');
    expect(io.stdout).toMatch(/time-to-ticket [\d.]+ s = teachers [\d.]+ s \(2 × 1 epoch\(s\)\) \+ search [\d.]+ s \(6 steps\); 2\.60 epoch-equivalents; ticket test acc/);
    const dir = path.join(runsDir, 'prune', fs.readdirSync(path.join(runsDir, 'prune')).find((d) => d.startsWith('lenet300-synthetic-kdlts-'))!);
    expect(fs.readdirSync(dir).sort()).toEqual(['kdlts.json', 'mask.kmask', 'report.json', 'rewind.kdt', 'search.json', 'settings.json', 'teachers', 'ticket']);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report).toMatchObject({
      method: 'kdlts', settings: { teachers: 2, teacherEpochs: 1, searchSteps: 6, rewindIteration: 3, batchSize: 100 },
      report: { total: { kept: Math.round(0.1 * LENET_N), size: LENET_N } }, epochEquivalents: 2 + (6 * 100) / 1000,
    });
    expect(report.settings).toMatchObject({ straightThroughFrom: 0, searchInit: 'layer-magnitude' }); // the defaults
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'search.json'), 'utf8')).history.every((h: { straightThrough: boolean }) => h.straightThrough)).toBe(true);
    expect(report.settings.workers).toBeUndefined(); // how it ran, not what it found
    expect(report.seconds).toBeCloseTo(report.breakdown.teachers + report.breakdown.search, 10);
    expect(report.kdlts.ticket.iterations).toBeGreaterThan(0);

    const again = capture();
    expect(await main(args('kdlts', ...kd, '--rewind-iteration', '3'), again)).toBe(0);
    expect(again.stderr).toContain('finished run found');
  }, 60_000);

  test.each([
    [['magnitude', '--teachers', '2'], "kdlts: error: --teachers: KD-LTS options, not used by 'magnitude'"],
    [['snip', '--straight-through-from', '0.5'], "--straight-through-from: KD-LTS options, not used by 'snip'"],
    [['kdlts', '--min-per-layer', '3'], '--min-per-layer is not supported by kdlts'],
    [['kdlts', '--loss-weights', '1,2'], "option '--loss-weights <a,b,c>' argument '1,2' is invalid. expected three comma-separated numbers"],
    [['kdlts', '--straight-through-from', '1.5'], "option '--straight-through-from <f>' argument '1.5' is invalid. expected a number in [0, 1)"],
    [['kdlts', '--search-init', 'gaussian'], "option '--search-init <how>' argument 'gaussian' is invalid"],
  ])('KD-LTS options: %j is refused, naming it', async ([method, ...extra], message) => {
    const io = capture();
    expect(await main(args(method, ...extra), io)).not.toBe(0);
    expect(io.stderr).toContain(message);
  });

  test.each([
    [['--sparsity', '0'], /option '--sparsity <s>' argument '0' is invalid\. expected a number strictly between 0 and 1/],
    [['--sparsity', '1'], /argument '1' is invalid\. expected a number strictly between 0 and 1/],
    [['--sparsity', '1.5'], /argument '1.5' is invalid/],
    [['--sparsity', 'NaN'], /argument 'NaN' is invalid\. expected a number strictly between 0 and 1/],
    [['--sparsity=-0.2'], /argument '-0.2' is invalid/],
    [['--method', 'lottery'], /argument 'lottery' is invalid\. unknown method 'lottery' \(known: magnitude, random, random-erk, snip, grasp, synflow, imp, ltr, kdlts\)/],
    [['--method', 'ltr'], /'ltr' trains between prunings: use kdlts imp --rewind-iteration <k>/],
    [['--model', 'alexnet'], /argument 'alexnet' is invalid\. Allowed choices are lenet300, conv2/],
  ])('%j is a usage error naming it', async (extra, message) => {
    const io = capture();
    const base = ['prune', '--method', 'random', '--model', 'lenet300', '--sparsity', '0.5', '--runs-dir', runsDir];
    expect(await main([...base, ...extra], io)).not.toBe(0);
    expect(io.stderr).toMatch(message);
  });

  test('the top level lists prune and imp; prune --help explains every option', async () => {
    const io = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout).toMatch(/prune \[options\]\s+Prune a freshly initialised model/);
    expect(io.stdout).toMatch(/imp \[options\]\s+Iterative magnitude pruning/);
    const help = capture();
    expect(await main(['prune', '--help'], help)).toBe(0);
    for (const flag of ['--method <name>', '--sparsity <s>', '--layerwise', '--min-per-layer <n>', '--seed <n>', '--model-seed <n>', '--batches <n>', '--batch-size <n>', '--data-dir <dir>', '--runs-dir <dir>', '--run-dir <dir>', '--json']) {
      expect(help.stdout).toContain(flag);
    }
  });
});
