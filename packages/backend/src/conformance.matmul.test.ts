// Conformance of BatchMatMul and _FusedMatMul (and their gradients) against tfjs-backend-cpu.
import { matmulCases } from './testing/cases_matmul';
import { defineCases } from './testing/harness';

describe('kdlts conformance: matrix products', () => {
  defineCases(matmulCases);
});
