// Conformance of pooling (MaxPool, MaxPoolGrad, AvgPool, AvgPoolGrad) and batch normalisation
// (FusedBatchNorm, and the training-mode chain through its gradient) against tfjs-backend-cpu.
import { batchNormCases, poolCases } from './testing/cases_pool';
import { defineCases } from './testing/harness';

describe('kdlts conformance: pooling', () => {
  defineCases(poolCases);
});

describe('kdlts conformance: batch normalisation', () => {
  defineCases(batchNormCases);
});
