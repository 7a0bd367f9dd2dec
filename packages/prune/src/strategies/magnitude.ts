// One-shot magnitude pruning: score |w| at whatever weights the model holds now (its
// initialisation, or its trained weights for magnitude-after-training); keep the largest.
import { absolute } from '../scores';
import { scoringStrategy, type LayerScores } from './strategy';

export const magnitude = scoringStrategy({
  name: 'magnitude',
  description: 'one-shot magnitude: keep the largest |w| (at init or after training: the weights the model holds)',
  needsData: false,
  async score({ prunable }): Promise<LayerScores> {
    return new Map(
      prunable.map((p) => {
        const w = p.variable.read().dataSync() as Float32Array;
        return [p.name, absolute(w)];
      }),
    );
  },
});
