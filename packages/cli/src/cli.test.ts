import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { resolveTrainSettings, type TrainCliOptions } from './commands/train';
import { createProgram, main } from './program';

function capture() {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

const base: TrainCliOptions = { model: 'lenet300', dataset: 'fashion-mnist', seed: 0, modelSeed: 0, evalEvery: 1, backend: 'auto', runsDir: 'runs' };

describe('kdlts train settings', () => {
  test('presets fill what is not given; giving a default explicitly changes nothing', () => {
    const { settings, defaults } = resolveTrainSettings(base);
    expect(settings).toEqual(defaults);
    expect(settings.batchSize).toBe(128);
    const explicit = resolveTrainSettings({ ...base, lr: defaults.lr as number, batchSize: 128, nesterov: false });
    expect(explicit.settings).toEqual(defaults);
    expect(resolveTrainSettings({ ...base, dataset: 'cifar10' }).settings.augment).toBe(true);
    expect(resolveTrainSettings({ ...base, model: 'resnet20' }).settings.milestones).toEqual([80, 120]);
  });

  test('--iterations replaces --epochs', () => {
    const { settings } = resolveTrainSettings({ ...base, epochs: 3, iterations: 500 });
    expect(settings.iterations).toBe(500);
    expect(settings.epochs).toBeUndefined();
  });
});

describe('kdlts --help', () => {
  test('explains every option of train', async () => {
    const train = createProgram(capture()).commands.find((c) => c.name() === 'train')!;
    const io = capture();
    expect(await main(['train', '--help'], io)).toBe(0);
    const help = io.stdout;
    expect(train.options.length).toBeGreaterThan(25);
    for (const option of train.options) {
      expect(help).toContain(option.flags);
      expect(option.description.length).toBeGreaterThan(8);
    }
    expect(help).toMatch(/Run directory: <runs-dir>\/train\/<model>-<dataset>-<hash>/);
  });

  test('the top level lists the commands', async () => {
    const io = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout).toMatch(/train \[options\]\s+Train a model/);
  });
});

describe('kdlts train', () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-cli-'));
  afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));
  const args = ['train', '--model', 'lenet300', '--dataset', 'synthetic', '--epochs', '2', '--batch-size', '100', '--runs-dir', runsDir, '--no-progress', '--backend', 'kdlts'];

  test('trains into a hashed run directory, then finds the finished run', async () => {
    const io = capture();
    expect(await main(args, io)).toBe(0);
    expect(io.stdout).toMatch(/epoch\s+iteration\s+lr\s+train loss/);
    expect(io.stdout).toMatch(/final test accuracy \d+\.\d\d%/);
    const dirs = fs.readdirSync(path.join(runsDir, 'train'));
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(/^lenet300-synthetic-[0-9a-f]{10}$/);
    const dir = path.join(runsDir, 'train', dirs[0]);
    const settings = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'));
    expect(settings.nonDefault).toEqual({ epochs: 2, batchSize: 100, backend: 'kdlts' });
    const result = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    expect(result.iterations).toBe(20);

    const again = capture();
    expect(await main([...args, '--json'], again)).toBe(0);
    expect(again.stderr).toContain('finished run found');
    expect(JSON.parse(again.stdout)).toEqual(result);
    // The same settings spelled differently (a default given explicitly): the same directory.
    expect(await main([...args, '--lr', '0.05', '--seed', '0'], capture())).toBe(0);
    expect(fs.readdirSync(path.join(runsDir, 'train'))).toHaveLength(1);
    // A changed setting: a new directory.
    expect(await main([...args, '--seed', '3'], capture())).toBe(0);
    expect(fs.readdirSync(path.join(runsDir, 'train'))).toHaveLength(2);
  });

  test.each([
    [['--epochs', '0'], /option '--epochs <n>' argument '0' is invalid\. expected a positive integer/],
    [['--lr', 'fast'], /option '--lr <x>' argument 'fast' is invalid/],
    [['--momentum', '1'], /'--momentum <x>' argument '1' is invalid\. expected a number in \[0, 1\)/],
    [['--milestones', '5,2'], /expected ascending values/],
    [['--dataset', 'imagenet'], /argument 'imagenet' is invalid\. Allowed choices are fashion-mnist, mnist/],
  ])('bad option %j is a usage error naming it', async (extra, message) => {
    const io = capture();
    expect(await main(['train', '--model', 'lenet300', ...extra], io)).not.toBe(0);
    expect(io.stderr).toMatch(message);
  });

  test('a missing model and missing data are clear errors', async () => {
    const io = capture();
    expect(await main(['train'], io)).not.toBe(0);
    expect(io.stderr).toMatch(/required option '--model <name>' not specified/);
    const io2 = capture();
    expect(await main(['train', '--model', 'conv4', '--dataset', 'cifar10', '--data-dir', runsDir, '--runs-dir', runsDir, '--no-progress'], io2)).toBe(1);
    expect(io2.stderr).toMatch(/kdlts: error: cifar10 train data not found[\s\S]*Looked in:/);
  });

  test('the kdlts executable runs', () => {
    const root = path.resolve(__dirname, '../../..');
    const r = spawnSync(process.execPath, ['-r', path.join(root, 'scripts/register-ts.js'), path.join(__dirname, 'bin.ts'), 'train', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: kdlts train [options]');
    const bad = spawnSync(process.execPath, ['-r', path.join(root, 'scripts/register-ts.js'), path.join(__dirname, 'bin.ts'), 'trian'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown command 'trian'/);
  });
});
