import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readBundle } from '@kdlts/train';
import { loadMask } from '@kdlts/prune';

import { main } from '../program';
import { capture } from '../testing/capture';

describe('kdlts train --mask', () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-ticket-cli-'));
  afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));
  const pruneRun = async (model: string, method: string) => {
    const io = capture();
    const code = await main(['prune', '--method', method, '--model', model, '--dataset', 'synthetic', '--sparsity', '0.9', '--runs-dir', runsDir, '--backend', 'kdlts', '--json'], io);
    expect(code).toBe(0);
    const dir = fs.readdirSync(path.join(runsDir, 'prune')).find((d) => d.startsWith(`${model}-synthetic-${method}-`))!;
    return path.join(runsDir, 'prune', dir, 'mask.kmask');
  };
  const trainArgs = (...extra: string[]) =>
    ['train', '--model', 'lenet300', '--dataset', 'synthetic', '--iterations', '3', '--batch-size', '100', '--runs-dir', runsDir, '--no-progress', '--backend', 'kdlts', '--json', ...extra];

  test('trains the ticket: pruned weights stay 0; the run directory is named by the mask\'s contents, not its path', async () => {
    const maskFile = await pruneRun('lenet300', 'magnitude');
    const { mask } = loadMask(maskFile);
    const io = capture();
    expect(await main(trainArgs('--mask', maskFile), io)).toBe(0);
    const result = JSON.parse(io.stdout);
    expect(result.density).toBe(mask.density());
    expect(io.stderr).toMatch(/under the mask .*mask\.kmask \(density 10\.00%\)/);
    const dirs = fs.readdirSync(path.join(runsDir, 'train'));
    expect(dirs).toHaveLength(1);
    const dir = path.join(runsDir, 'train', dirs[0]);
    const settings = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'));
    expect(settings.nonDefault.mask).toMatch(/^[0-9a-f]{16}$/);
    expect(settings.maskFile).toBe(path.resolve(maskFile));
    const final = readBundle(path.join(dir, 'final.kdt')).tensors;
    for (const layer of mask.layers) {
      const w = final.get(layer.name)!.values;
      expect(layer.bits.filter((b, i) => b === 0 && w[i] !== 0)).toHaveLength(0);
    }
    // The same bytes elsewhere: the same run, found finished.
    const copy = path.join(runsDir, 'copy.kmask');
    fs.copyFileSync(maskFile, copy);
    const again = capture();
    expect(await main(trainArgs('--mask', copy), again)).toBe(0);
    expect(again.stderr).toContain('finished run found');
    expect(fs.readdirSync(path.join(runsDir, 'train'))).toHaveLength(1);
    // No mask (or another mask): another run.
    expect(await main(trainArgs(), capture())).toBe(0);
    expect(fs.readdirSync(path.join(runsDir, 'train'))).toHaveLength(2);
  });

  test('a mask of another model, a file that is no mask, and a missing file are clear errors naming the file', async () => {
    const conv2Mask = await pruneRun('conv2', 'random');
    const io = capture();
    expect(await main(trainArgs('--mask', conv2Mask), io)).toBe(1);
    expect(io.stderr).toContain(`kdlts: error: ${conv2Mask}: mask does not match the model's prunable weights: not in the model: 'conv1/kernel', 'conv2/kernel'`);
    expect(io.stderr).toContain("layer 'fc1/kernel': the mask has shape [12544, 256], the model [784, 300]");
    expect(io.stderr).toContain('(model lenet300 on synthetic)');
    const junk = path.join(runsDir, 'junk.kmask');
    fs.writeFileSync(junk, 'not a mask');
    const io2 = capture();
    expect(await main(trainArgs('--mask', junk), io2)).toBe(1);
    expect(io2.stderr).toContain(`kdlts: error: ${junk}: not a kdlts mask file`);
    const io3 = capture();
    const missing = path.join(runsDir, 'nope.kmask');
    expect(await main(trainArgs('--mask', missing), io3)).toBe(1);
    expect(io3.stderr).toContain(`kdlts: error: ${missing}: cannot read the mask file`);
  });
});
