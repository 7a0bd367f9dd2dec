// Conformance of the reductions (Sum, Mean, Max, Min over every axis subset), Softmax, Tile and
// Transpose against tfjs-backend-cpu.
import { reduceCases, softmaxCases, tileCases, transposeCases } from './testing/cases_reduce';
import { defineCases } from './testing/harness';

describe('kdlts conformance: reductions', () => {
  defineCases(reduceCases);
});

describe('kdlts conformance: softmax, tile, transpose', () => {
  defineCases([...softmaxCases, ...tileCases, ...transposeCases]);
});
