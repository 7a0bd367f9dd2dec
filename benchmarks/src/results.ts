// Result files: written atomically (a temp file in the same directory, then a rename), so a
// reader never sees half a file and an interrupted run leaves the previous file intact.
import * as fs from 'fs';
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

export function writeJsonAtomic(file: string, data: unknown): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}
