// Adds up the test counts every workspace wrote into its .test-results/ directory (jest through
// scripts/jest-json-reporter.js, ctest through scripts/run-ctest.mjs) and prints the closing
// line CI reads: "N passed, N failed[, N skipped]". A workspace with a test script but no
// results (it crashed before reporting) counts as one failure.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function workspaceDirs() {
  const dirs = [];
  for (const pattern of rootPackage.workspaces) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      for (const name of existsSync(parent) ? readdirSync(parent) : []) dirs.push(join(parent, name));
    } else {
      dirs.push(join(root, pattern));
    }
  }
  return dirs.filter((dir) => existsSync(join(dir, 'package.json')));
}

const total = { passed: 0, failed: 0, skipped: 0 };
for (const dir of workspaceDirs()) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const resultsDir = join(dir, '.test-results');
  const files = existsSync(resultsDir) ? readdirSync(resultsDir).filter((f) => f.endsWith('.json')) : [];
  if (files.length === 0) {
    console.log(`${pkg.name}: no test results (its tests did not run or crashed)`);
    total.failed += 1;
    continue;
  }
  for (const file of files) {
    const counts = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
    console.log(`${pkg.name} (${counts.runner}): ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
