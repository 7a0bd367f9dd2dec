// Which tfjs backend kdlts trains on. `auto`: tfjs-node-gpu, then tfjs-node (when the user has
// installed them: optional peer dependencies, never required), otherwise the kdlts backend. An
// explicit choice (option, else the KDLTS_TF_BACKEND environment variable) overrides.
import * as tf from '@tensorflow/tfjs-core';

import { BACKEND_NAME, registerKdltsBackend } from './backend';

export const BACKEND_ENV = 'KDLTS_TF_BACKEND';
export const BACKEND_CHOICES = ['auto', 'kdlts', 'tensorflow', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The packages that provide tfjs's `tensorflow` backend, best first. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export interface BackendSelection {
  /** The tfjs backend now active ('kdlts', 'tensorflow' or 'cpu'). */
  name: string;
  /** Why: which choice, and what was tried. */
  reason: string;
}

export interface SelectOptions {
  /** Overrides KDLTS_TF_BACKEND. */
  backend?: string;
  /** Loads an optional package (tests inject a fake); throws when it is absent. */
  requireOptional?: (name: string) => unknown;
  env?: NodeJS.ProcessEnv;
}

function parseChoice(value: string, source: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`${source}: unknown tfjs backend '${value}' (expected one of ${BACKEND_CHOICES.join(', ')})`);
}

/** Loads tfjs-node-gpu or tfjs-node, whichever loads first; the tried packages' errors otherwise. */
function loadTensorflow(requireOptional: (name: string) => unknown): { loaded: string | null; tried: string[] } {
  const tried: string[] = [];
  for (const name of TENSORFLOW_PACKAGES) {
    try {
      requireOptional(name);
      if (tf.findBackendFactory('tensorflow')) return { loaded: name, tried };
      tried.push(`${name} loaded but registered no 'tensorflow' backend`);
    } catch (error) {
      tried.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { loaded: null, tried };
}

async function activate(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend '${name}' failed to initialise`);
}

/** Selects and activates the backend; returns what it chose and why. */
export async function useBackend(options: SelectOptions = {}): Promise<BackendSelection> {
  const env = options.env ?? process.env;
  const requireOptional = options.requireOptional ?? ((name: string) => require(name));
  const choice =
    options.backend !== undefined
      ? parseChoice(options.backend, 'backend option')
      : env[BACKEND_ENV]
        ? parseChoice(env[BACKEND_ENV]!, BACKEND_ENV)
        : 'auto';
  const source = options.backend !== undefined ? 'backend option' : env[BACKEND_ENV] ? BACKEND_ENV : 'auto';

  if (choice === 'cpu') {
    await activate('cpu');
    return { name: 'cpu', reason: `${source}: cpu (pure-JS tfjs-backend-cpu)` };
  }
  if (choice === 'tensorflow' || choice === 'auto') {
    const { loaded, tried } = loadTensorflow(requireOptional);
    if (loaded) {
      await activate('tensorflow');
      return { name: 'tensorflow', reason: `${source}: ${loaded}` };
    }
    if (choice === 'tensorflow') {
      throw new Error(`${source}: tensorflow backend requested but neither tfjs-node-gpu nor tfjs-node loads (${tried.join('; ')})`);
    }
  }
  const status = registerKdltsBackend();
  await activate(BACKEND_NAME);
  const how = status.native ? `${status.nativeKernels.length} native kernels` : `no native kernels: ${status.reason}`;
  const why = choice === 'auto' ? 'tfjs-node-gpu and tfjs-node are not installed' : 'kdlts';
  return { name: BACKEND_NAME, reason: `${source}: ${why}; kdlts backend with ${how}` };
}
