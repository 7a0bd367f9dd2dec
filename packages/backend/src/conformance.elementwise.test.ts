// Conformance of the elementwise kernels (binary with broadcasting, unary) against
// tfjs-backend-cpu, forward and through their gradients.
import { castCases } from './testing/cases_cast';
import { binaryCases, unaryCases } from './testing/cases_elementwise';
import { defineCases } from './testing/harness';

describe('kdlts conformance: binary elementwise', () => {
  defineCases(binaryCases);
});

describe('kdlts conformance: unary elementwise', () => {
  defineCases(unaryCases);
});

describe('kdlts conformance: float32 inputs stored as Int32Array / Uint8Array (tfjs casts)', () => {
  defineCases(castCases);
});
