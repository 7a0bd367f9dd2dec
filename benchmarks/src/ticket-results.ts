// The result files of the ticket benchmarks: one record per (model, method, sparsity, seed): how
// the ticket was found (time-to-ticket, epoch-equivalents, a per-phase breakdown) and how it
// trained. Written by accuracy-sweep.ts (kind 'accuracy-sweep': every method at several
// sparsities) and ticket-bench.ts (kind 'time-to-ticket': IMP against KD-LTS at one sparsity),
// read by render-tickets.ts.
import type { Machine } from './machine';

export interface TicketRecord {
  model: string;
  dataset: string;
  /** The method's key: a registry name (magnitude, snip, imp, ...), or kdlts-early for KD-LTS at θ_t. */
  method: string;
  /** How tables and plots name it, e.g. 'KD-LTS (θ_t, t = 100)'. */
  label: string;
  sparsity: number;
  /** Seed of the initial weights and of the data order (one seed per repetition). */
  seed: number;
  /** Prunable weights kept / in total. */
  kept: number;
  size: number;
  /** Wall seconds to find the mask (training it excluded). */
  timeToTicketSeconds: number;
  /** Forward + backward passes over the training set spent finding the mask (0 for data-free methods). */
  epochEquivalents: number;
  /** Where the time-to-ticket went, in seconds (e.g. { teachers, search }, { training, pruning }); IMP adds `rounds`, a count. */
  breakdown: Record<string, number>;
  /** The ticket trained from its rewind point (θ0, or θ_t for ltr / kdlts-early) under the mask. */
  finalAccuracy: number;
  bestAccuracy: number;
  bestEpoch: number;
  ticketTrainSeconds: number;
  /** 0: a ticket at initialisation; t > 0: rewound to the weights after t dense steps. */
  rewindIteration: number;
  /** The run directory the mask and the ticket's training live in (resumable). */
  runDir: string;
}

/** The training budget every ticket (and IMP round, and teacher) of one file shares. */
export interface TicketBudget {
  /** One line a reader sees beside every number, e.g. 'LeNet-300-100: 10 epochs, batch 128, lr 0.05 cosine'. */
  description: string;
  /** Per model: the training settings of the ticket and of every training inside a method. */
  training: Record<string, Record<string, unknown>>;
  /** Training images used (a seeded subset when below the dataset's size), per model. */
  trainImages: Record<string, number>;
  /** KD-LTS settings: teachers T, teacher epochs E, search steps, ... */
  kdlts: Record<string, unknown>;
  /** IMP settings: prune fraction per round, ... */
  imp: Record<string, unknown>;
}

export interface TicketResultsFile {
  kind: 'accuracy-sweep' | 'time-to-ticket';
  /** ISO time the file was last written. */
  date: string;
  /** The profile it ran (e.g. 'cpu', 'medium', 'paper', 'table'). */
  profile: string;
  machine: Machine;
  budget: TicketBudget;
  records: TicketRecord[];
  /** Something a reader must know, e.g. that synthetic data stood in for a missing dataset. */
  note?: string;
}

/** Mean and sample standard deviation (0 for one value; NaN for none). */
export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: 0, n };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n };
}
