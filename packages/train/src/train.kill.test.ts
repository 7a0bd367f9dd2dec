// Kill a training process mid-run (SIGKILL: no clean-up of any kind), resume it, and get exactly
// what an uninterrupted run gives: the same final weights file bytes and the same result.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '../../..');
const child = path.join(__dirname, 'testing', 'train-child.ts');
const nodeArgs = (dir: string) => ['-r', path.join(root, 'scripts', 'register-ts.js'), child, dir];

function runToEnd(dir: string): void {
  const r = spawnSync(process.execPath, nodeArgs(dir), { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status} ${r.signal}):\n${r.stderr}`);
  expect(r.stdout).toContain('done 24');
}

const readLog = (dir: string) => {
  const file = path.join(dir, 'log.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l));
};

const comparable = (dir: string) => {
  const r = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
  return {
    ...r, trainSeconds: 0, evalSeconds: 0, imagesPerSecond: 0, resumedFromEpoch: 0,
    history: r.history.map((h: object) => ({ ...h, trainSeconds: 0, evalSeconds: 0 })),
  };
};

test('SIGKILL mid-epoch, then resume: same final weights and result as an uninterrupted run', async () => {
  const dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-kill-a-'));
  const dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-kill-b-'));
  runToEnd(dirA);

  // Start B and kill it as soon as it is into epoch 2 (its epoch-1 checkpoint is on disk).
  const proc = spawn(process.execPath, nodeArgs(dirB), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (readLog(dirB).some((e) => e.type === 'iteration' && e.epoch === 2)) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`child ended or stalled before epoch 2:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  proc.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect(fs.existsSync(path.join(dirB, 'result.json'))).toBe(false); // really killed mid-run
  expect(fs.existsSync(path.join(dirB, 'checkpoint.kdt'))).toBe(true);

  runToEnd(dirB);
  const starts = readLog(dirB).filter((e) => e.type === 'start');
  expect(starts.map((e) => e.resumedFromEpoch)).toEqual([0, 1]); // resumed, losing less than one epoch
  expect(fs.readFileSync(path.join(dirB, 'final.kdt')).equals(fs.readFileSync(path.join(dirA, 'final.kdt')))).toBe(true);
  expect(comparable(dirB)).toEqual(comparable(dirA));
  expect(fs.readdirSync(dirB).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  fs.rmSync(dirA, { recursive: true });
  fs.rmSync(dirB, { recursive: true });
}, 240_000);
