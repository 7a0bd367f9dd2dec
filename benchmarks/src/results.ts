// Result files: where they go, and written atomically (a reader never sees half a file and an
// interrupted run leaves the previous file intact).
import * as os from 'os';
import * as path from 'path';

/** benchmarks/results/[local/]<name>-<hostname>-<YYYY-MM-DD>[-<suffix>].json (local/ is git-ignored: smoke runs go there). */
export function defaultResultsPath(name: string, options: { suffix?: string; local?: boolean } = {}): string {
  const d = new Date();
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_');
  const file = [name, host, date, options.suffix].filter(Boolean).join('-') + '.json';
  return path.resolve(__dirname, '..', 'results', options.local ? 'local' : '', file);
}

/** Atomic JSON writes: the training package's (a temp file in the same directory, then a rename). */
export { writeJsonAtomic } from '@kdlts/train';
