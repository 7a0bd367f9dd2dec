// Kill IMP runs (SIGKILL: no clean-up of any kind) inside a round and between rounds, resume, and
// get what an uninterrupted run gives: the same masks and the same per-round results, with no
// finished round trained again.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { loadMask } from './format';
import { runImp, type ImpSummary } from './imp';
import { childRequest } from './testing/imp-child';
import { useKdltsBackend } from './testing/tiny';

const root = path.resolve(__dirname, '../../..');
const child = path.join(__dirname, 'testing', 'imp-child.ts');
const nodeArgs = (dir: string, pause?: string) => ['-r', path.join(root, 'scripts', 'register-ts.js'), child, dir, ...(pause ? [pause] : [])];

/** Starts the child, waits until it has paused at `pause`, SIGKILLs it. */
async function killAt(dir: string, pause: string): Promise<void> {
  const proc = spawn(process.execPath, nodeArgs(dir, pause), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(`${dir}.paused`)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`child ended or stalled before ${pause}:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  proc.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  fs.rmSync(`${dir}.paused`);
}

const readLog = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l)) : []);
const withoutTimes = (s: ImpSummary) => ({
  ...s, timeToTicketSeconds: 0, rounds: s.rounds.map((r) => ({ ...r, trainSeconds: 0, evalSeconds: 0, pruneSeconds: 0, seconds: 0 })),
});

test('SIGKILL inside round 2 and between rounds 3 and 4, then resume: same masks and results, finished rounds not redone', async () => {
  await useKdltsBackend();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-imp-kill-'));
  const dirA = path.join(base, 'a');
  const dirB = path.join(base, 'b');
  const a = await runImp(childRequest(dirA));

  await killAt(dirB, 'round-2-epoch-2');
  expect(fs.existsSync(path.join(dirB, 'round-1', 'round.json'))).toBe(true);
  expect(fs.existsSync(path.join(dirB, 'round-2', 'round.json'))).toBe(false);
  expect(fs.existsSync(path.join(dirB, 'round-2', 'train', 'checkpoint.kdt'))).toBe(true);

  await killAt(dirB, 'after-round-3');
  expect(fs.existsSync(path.join(dirB, 'round-3', 'round.json'))).toBe(true);
  expect(fs.existsSync(path.join(dirB, 'round-4'))).toBe(false);

  const r = spawnSync(process.execPath, nodeArgs(dirB), { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status} ${r.signal}):\n${r.stderr}`);
  expect(r.stdout).toContain(`done ${a.summary.kept}`);

  // Round 1 trained once; round 2 twice (resumed after its first epoch); rounds 3 and 4 once.
  const starts = (round: number) => readLog(path.join(dirB, `round-${round}`, 'train', 'log.jsonl')).filter((e) => e.type === 'start').map((e) => e.resumedFromEpoch);
  expect([1, 2, 3, 4].map(starts)).toEqual([[0], [0, 1], [0], [0]]);
  const b = JSON.parse(fs.readFileSync(path.join(dirB, 'imp.json'), 'utf8')) as ImpSummary;
  expect(withoutTimes(b)).toEqual(withoutTimes(JSON.parse(JSON.stringify(a.summary))));
  for (const file of ['round-1/pruned.kmask', 'round-2/pruned.kmask', 'round-3/pruned.kmask', 'round-4/pruned.kmask', 'mask.kmask']) {
    expect(loadMask(path.join(dirB, file)).mask.equals(loadMask(path.join(dirA, file)).mask)).toBe(true);
  }
  expect(fs.readFileSync(path.join(dirB, 'mask.kmask')).equals(fs.readFileSync(path.join(dirA, 'mask.kmask')))).toBe(true);
  fs.rmSync(base, { recursive: true });
}, 240_000);
