import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadMask } from '@kdlts/prune';

import { main } from '../program';
import { capture } from '../testing/capture';

const LENET_N = 784 * 300 + 300 * 100 + 100 * 10;

describe('kdlts imp', () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-imp-cli-'));
  afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));
  const args = (...extra: string[]) =>
    ['imp', '--model', 'lenet300', '--dataset', 'synthetic', '--sparsity', '0.36', '--iterations', '3', '--batch-size', '50', '--runs-dir', runsDir, '--no-progress', '--backend', 'kdlts', ...extra];

  test('end to end on synthetic data: rounds, exact final mask, trained ticket; a repeat finds every stage done', async () => {
    const io = capture();
    expect(await main(args(), io)).toBe(0);
    expect(io.stderr).toContain('imp on lenet300 (synthetic) to sparsity 0.36 in 2 rounds of 20.00%');
    expect(io.stdout).toMatch(/round\s+density\s+test acc\s+best acc\s+iterations\s+seconds\s+pruned to/);
    expect(io.stdout).toMatch(/\n\s+1\s+100\.00%.*80\.00%\n\s+2\s+80\.00%.*64\.00%\n\s*ticket\s+64\.00%/);
    expect(io.stdout).toMatch(/time-to-ticket \d+\.\d s, 0\.30 epoch-equivalents/); // 2 rounds of 3 steps x 50 images / 1000
    const dirs = fs.readdirSync(path.join(runsDir, 'imp'));
    expect(dirs).toEqual([expect.stringMatching(/^lenet300-synthetic-imp-[0-9a-f]{10}$/)]);
    const dir = path.join(runsDir, 'imp', dirs[0]);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'imp.json'), 'utf8'));
    expect(summary.rounds).toHaveLength(2);
    expect(summary.kept).toBe(Math.round(0.64 * LENET_N));
    expect(summary.ticket.iterations).toBe(3);
    expect(loadMask(path.join(dir, 'mask.kmask')).mask.count()).toBe(Math.round(0.64 * LENET_N));
    for (const f of ['round-1/round.json', 'round-1/mask.kmask', 'round-1/pruned.kmask', 'round-2/train/result.json', 'ticket/result.json', 'settings.json']) {
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }

    const again = capture();
    expect(await main(args('--json'), again)).toBe(0);
    expect(again.stderr).toContain('round 1/2 (finished earlier)');
    expect(again.stderr).toContain('round 2/2 (finished earlier)');
    expect(again.stderr).not.toMatch(/epoch \d+\/\d+: train loss/); // nothing trained
    expect(JSON.parse(again.stdout)).toEqual(summary);
  });

  test('LTR with --rewind-iteration, without training the ticket', async () => {
    const io = capture();
    expect(await main(args('--rewind-iteration', '2', '--no-train-ticket', '--json'), io)).toBe(0);
    const summary = JSON.parse(io.stdout);
    expect(summary).toMatchObject({ method: 'ltr', rewindIteration: 2, kept: Math.round(0.64 * LENET_N) });
    expect(summary.ticket).toBeUndefined();
    const dir = fs.readdirSync(path.join(runsDir, 'imp')).find((d) => d.includes('-ltr-'))!;
    expect(fs.existsSync(path.join(runsDir, 'imp', dir, 'round-1', 'train', 'weights', 'iter-2.kdt'))).toBe(true);
  });

  test('bad settings are clear errors', async () => {
    const io = capture();
    expect(await main(args('--rewind-iteration', '3'), io)).toBe(1);
    expect(io.stderr).toContain('kdlts: error: rewindIteration 3 must be less than the 3 iterations of a round');
    for (const [extra, message] of [
      [['--sparsity', '1'], /option '--sparsity <s>' argument '1' is invalid\. expected a number strictly between 0 and 1/],
      [['--prune-fraction', '0'], /option '--prune-fraction <p>' argument '0' is invalid/],
      [['--rewind-iteration', '-1'], /option '--rewind-iteration <k>' argument '-1' is invalid\. expected an integer >= 0/],
    ] as Array<[string[], RegExp]>) {
      const e = capture();
      expect(await main(args(...extra), e)).not.toBe(0);
      expect(e.stderr).toMatch(message);
    }
    const missing = capture();
    expect(await main(['imp', '--model', 'lenet300'], missing)).not.toBe(0);
    expect(missing.stderr).toMatch(/required option '--sparsity <s>' not specified/);
  });

  test('--help shares the training options of kdlts train', async () => {
    const io = capture();
    expect(await main(['imp', '--help'], io)).toBe(0);
    for (const flag of ['--prune-fraction <p>', '--rewind-iteration <k>', '--no-train-ticket', '--epochs <n>', '--lr <x>', '--schedule <type>', '--warmup-epochs <x>', '--model-seed <n>']) {
      expect(io.stdout).toContain(flag);
    }
  });
});
