// Runs the native core's ctest suite in a CMake build directory and records its counts in
// native/.test-results/ctest.json for scripts/summarize-tests.mjs. Exits with ctest's status.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const buildDir = resolve(process.argv[2] ?? 'build');
const resultsDir = resolve('.test-results');
mkdirSync(resultsDir, { recursive: true });
const junit = join(resultsDir, 'ctest-junit.xml');

if (!existsSync(join(buildDir, 'CTestTestfile.cmake'))) {
  console.error(`run-ctest: ${buildDir} has no ctest suite: build the native core first (npm run build)`);
  process.exit(1);
}
const run = spawnSync('ctest', ['--test-dir', buildDir, '--output-on-failure', '--output-junit', junit], {
  stdio: 'inherit',
});

// <testsuite ... tests="N" failures="F" disabled="D" skipped="S" ...>
let counts = { runner: 'ctest', passed: 0, failed: 1, skipped: 0 };
if (existsSync(junit)) {
  const head = readFileSync(junit, 'utf8').match(/<testsuite\b[^>]*>/)?.[0] ?? '';
  const attr = (name) => Number(head.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0);
  const skipped = attr('skipped') + attr('disabled');
  const failed = attr('failures') + attr('errors');
  counts = { runner: 'ctest', passed: attr('tests') - failed - skipped, failed, skipped };
}
const out = join(resultsDir, 'ctest.json');
writeFileSync(`${out}.tmp`, JSON.stringify(counts, null, 2));
renameSync(`${out}.tmp`, out);
process.exit(run.status ?? 1);
