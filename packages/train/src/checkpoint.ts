// Checkpoints: one file per run directory (`checkpoint.kdt`), replaced atomically at the end of
// every epoch, holding the model's weights, the optimizer's velocities and the loop's state. A
// kill at any moment leaves either the previous or the new checkpoint, never half of one.
import * as fs from 'fs';
import * as path from 'path';

import type { MaskedSgd } from './sgd';
import { readBundle, writeBundle, type TensorBundle } from './tensor-file';
import type { EpochRecord } from './types';
import { restoreWeights, snapshotWeights } from './weights';
import type * as tfl from '@tensorflow/tfjs-layers';

export const CHECKPOINT_FILE = 'checkpoint.kdt';

export interface LoopState {
  /** Completed epochs. */
  epoch: number;
  /** Completed optimizer steps. */
  iteration: number;
  history: EpochRecord[];
  trainSeconds: number;
  evalSeconds: number;
}

interface CheckpointMeta {
  kind: 'checkpoint';
  fingerprint: string;
  state: LoopState;
}

export async function saveCheckpoint(
  dir: string, fingerprint: string, model: tfl.LayersModel, optimizer: MaskedSgd, state: LoopState,
): Promise<string> {
  const tensors: TensorBundle = new Map();
  for (const [name, t] of snapshotWeights(model)) tensors.set(`model/${name}`, t);
  for (const [name, t] of optimizer.getState()) tensors.set(`optimizer/${name}`, t);
  const file = path.join(dir, CHECKPOINT_FILE);
  await writeBundle(file, tensors, { kind: 'checkpoint', fingerprint, state } satisfies CheckpointMeta);
  return file;
}

/**
 * Restores the checkpoint in `dir` into the model and optimizer and returns its loop state, or
 * undefined when there is none. A checkpoint of another configuration is an error.
 */
export function loadCheckpoint(dir: string, fingerprint: string, model: tfl.LayersModel, optimizer: MaskedSgd): LoopState | undefined {
  const file = path.join(dir, CHECKPOINT_FILE);
  if (!fs.existsSync(file)) return undefined;
  const { meta, tensors } = readBundle<CheckpointMeta>(file);
  if (meta?.kind !== 'checkpoint') throw new Error(`${file}: not a training checkpoint`);
  if (meta.fingerprint !== fingerprint) {
    throw new Error(
      `${file}: written by a run with other settings (fingerprint ${meta.fingerprint}, this run ${fingerprint}); ` +
        'use another output directory or start fresh',
    );
  }
  const weights: TensorBundle = new Map();
  const velocities: TensorBundle = new Map();
  for (const [name, t] of tensors) {
    if (name.startsWith('model/')) weights.set(name.slice(6), t);
    else if (name.startsWith('optimizer/')) velocities.set(name.slice(10), t);
    else throw new Error(`${file}: unexpected tensor '${name}'`);
  }
  restoreWeights(model, weights, file);
  optimizer.setState(velocities);
  return meta.state;
}
