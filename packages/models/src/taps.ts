// A model plus a second tfl.model over the same layers whose outputs are [logits, ...taps]:
// distillation reads the features from tapModel, training and pruning act on model; both see the
// same variables.
import * as tfl from '@tensorflow/tfjs-layers';

import { getModelSpec } from './registry';
import type { BuildOptions } from './types';

export interface ModelWithTaps {
  /** The plain model (outputs: logits). It owns the shared layers: dispose this one only. */
  model: tfl.LayersModel;
  /**
   * Outputs [logits, ...tap outputs] in the order of `taps`; the same layers and variables as
   * `model`. Do not dispose it as well: disposing `model` frees the shared weights.
   */
  tapModel: tfl.LayersModel;
  /** The spec's tap layer names, in tapModel's output order (after the logits). */
  taps: string[];
}

export function buildWithTaps(name: string, options: BuildOptions): ModelWithTaps {
  const spec = getModelSpec(name);
  const model = spec.build(options);
  const outputs = spec.taps.map((tap) => {
    const out = model.getLayer(tap).output; // throws if no such layer
    if (Array.isArray(out)) throw new Error(`${name}: tap '${tap}' has ${out.length} outputs, expected one`);
    return out;
  });
  const tapModel = tfl.model({ inputs: model.inputs, outputs: [model.outputs[0], ...outputs], name: `${model.name}_taps` });
  return { model, tapModel, taps: [...spec.taps] };
}
