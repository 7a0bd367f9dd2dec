// Conformance with large outputs: kdlts recycles native output buffers from this size on, and the
// harness poisons the recycled buffers with NaN between two kdlts runs (testing/cases_large.ts).
import * as tf from '@tensorflow/tfjs-core';

import { largeCases } from './testing/cases_large';
import { BACKEND_NAME, defineCases, status } from './testing/harness';

describe('kdlts conformance: large (pooled) outputs', () => {
  defineCases(largeCases);
});

test('the second kdlts runs really wrote into recycled (NaN-filled) buffers', () => {
  const pool = (tf.findBackend(BACKEND_NAME) as unknown as { pool?: { stats?: { reused: number } } } | null)?.pool;
  if (!status.native || !pool?.stats) return; // no native kernels or no output pool: nothing recycled
  expect(pool.stats.reused).toBeGreaterThan(largeCases.length);
});
