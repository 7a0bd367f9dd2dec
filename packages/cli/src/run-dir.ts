// Run directories: `<runs>/<command>/<model>-<dataset>-<hash>` where the hash covers the settings
// that differ from their defaults (plus model and dataset). A repeated command lands in the same
// directory and finds its finished work or its checkpoint; a changed setting gets a new one.
// Settings that say where things are or how to show them (paths, progress) are not hashed.
import { createHash } from 'crypto';
import * as path from 'path';

/** Stable JSON: object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The entries of `settings` whose value differs from `defaults` (compared as canonical JSON). */
export function nonDefault(settings: Record<string, unknown>, defaults: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    if (v !== undefined && canonicalJson(v) !== canonicalJson(defaults[k])) out[k] = v;
  }
  return out;
}

export function settingsHash(command: string, identity: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson({ command, ...identity })).digest('hex').slice(0, 10);
}

export function runDirectory(runsDir: string, command: string, label: string, identity: Record<string, unknown>): string {
  return path.resolve(runsDir, command, `${label}-${settingsHash(command, identity)}`);
}
