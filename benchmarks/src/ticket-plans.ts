// Running a list of (model, seed) plans through the ticket runner into one result file, rewritten
// atomically after every cell (an interrupted run keeps what it finished and resumes from its run
// directories; a run over a subset of the profile adds its records to the file), and the budget
// line every table shows. Shared by accuracy-sweep.ts and ticket-bench.ts.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@kdlts/backend';
import { resolveSearchConfig } from '@kdlts/distill';
import { getModelSpec } from '@kdlts/models';
import { readJsonIfExists, trainPreset } from '@kdlts/train';

import { describeMachine } from './machine';
import { writeJsonAtomic } from './results';
import { budgetData, budgetTraining, runSeed, type ModelBudget, type RunnerOptions, type SeedPlan } from './ticket-runner';
import type { TicketBudget, TicketRecord, TicketResultsFile } from './ticket-results';

const MODEL_TITLES: Record<string, string> = {
  lenet300: 'LeNet-300-100', conv2: 'Conv-2', conv4: 'Conv-4', conv6: 'Conv-6', resnet20: 'ResNet-20', vgg16: 'VGG-16',
};

export function modelTitle(model: string): string {
  getModelSpec(model); // unknown models throw here, naming the known ones
  return MODEL_TITLES[model] ?? model;
}

/** The budget as written into the result file: settings per model and one line a reader sees. */
export function describeBudget(budgets: ModelBudget[], o: RunnerOptions, dataDir: string | undefined): TicketBudget {
  const training: TicketBudget['training'] = {};
  const trainImages: TicketBudget['trainImages'] = {};
  const parts: string[] = [];
  for (const b of budgets) {
    const data = budgetData(b, dataDir);
    const { settings } = budgetTraining(b, 0, data.train.count);
    const { seed: _s, modelSeed: _m, backend: _b, saveWeightsAt: _w, evalEvery: _e, ...shown } = settings;
    training[b.model] = { ...shown, dataset: b.dataset, testImages: data.test?.count ?? 0 };
    trainImages[b.model] = data.train.count;
    const preset = trainPreset(b.model);
    const subset = b.trainImages !== undefined && b.trainImages < 60000 ? ` (a fixed subset), ${data.test?.count} test images` : '';
    parts.push(
      `${modelTitle(b.model)} on ${b.dataset}: ${data.train.count.toLocaleString('en-US')} training images${subset}, ${b.epochs} epochs ` +
        `per training (preset: ${preset.epochs}), batch ${settings.batchSize}, SGD lr ${settings.lr} ${settings.schedule}, momentum ${settings.momentum}, ` +
        `weight decay ${settings.weightDecay}; KD-LTS search ${b.searchSteps ?? o.kdlts.searchSteps} steps of ${b.searchBatchSize ?? o.kdlts.searchBatchSize}` +
        `, t = ${b.rewindIteration ?? o.kdlts.rewindIteration}`,
    );
  }
  const search = resolveSearchConfig({ sparsity: 0.5 });
  const searchMode = search.straightThroughFrom === 0
    ? 'straight-through top-k from the first step' : `relaxed for ${search.straightThroughFrom} of the steps, then straight-through top-k`;
  parts.push(
    `KD-LTS: ${o.kdlts.teachers} teachers × ${o.kdlts.teacherEpochs} epoch(s) from θ0, search with Adam lr ${search.lr}, ${searchMode}, ` +
      `initial scores ${search.init}; IMP: ${100 * o.imp.pruneFraction}% of the survivors per round, ` +
      `every round and every ticket trained with the model's budget; SNIP/GraSP score ${o.scoringBatches} batch(es) of 128`,
  );
  return { description: parts.join('. ') + '.', training, trainImages, kdlts: { ...o.kdlts }, imp: { ...o.imp } };
}

/** Runs the plans in order, writing `out` after every cell; returns every record. */
export async function runPlans(
  kind: TicketResultsFile['kind'], profile: string, plans: SeedPlan[], budgets: ModelBudget[], o: RunnerOptions, out: string, note?: string,
): Promise<TicketResultsFile> {
  // Every timing in the file is on the native kdlts backend (never tfjs's pure-JS cpu fallback).
  await useBackend({ backend: 'kdlts' });
  if (tf.getBackend() !== 'kdlts') throw new Error(`the kdlts backend is not active (got '${tf.getBackend()}')`);
  const file: TicketResultsFile = { kind, date: new Date().toISOString(), profile, machine: describeMachine(), budget: describeBudget(budgets, o, o.dataDir), records: [], ...(note ? { note } : {}) };
  const key = (r: TicketRecord) => `${r.model}|${r.method}|${r.sparsity}|${r.seed}`;
  // A run over a subset (other seeds, models or methods) adds to the file of the same kind and profile.
  const earlier = readJsonIfExists<TicketResultsFile>(out);
  if (earlier?.kind === kind && earlier.profile === profile) file.records = earlier.records;
  const save = (r: TicketRecord) => {
    file.records = [...file.records.filter((x) => key(x) !== key(r)), r];
    file.date = new Date().toISOString();
    writeJsonAtomic(out, file);
  };
  for (const plan of plans) await runSeed(plan, o, save);
  return file;
}
