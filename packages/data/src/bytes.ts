// Reading a data file's bytes: gunzipped when it starts with the gzip magic (1f 8b), raw otherwise.
import { readFileSync } from 'fs';
import { gunzipSync } from 'zlib';
import { DataError } from './errors';

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** The file's contents, decompressed if gzipped; DataError for an unreadable file or a broken gzip stream. */
export function readDataFile(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new DataError(`cannot read file: ${(e as Error).message}`, file);
  }
  if (!isGzip(raw)) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    throw new DataError(`corrupt gzip data (${(e as Error).message})`, file);
  }
}
