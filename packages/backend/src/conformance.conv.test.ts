// Conformance of the convolution kernels (Conv2D, FusedConv2D, Conv2DBackpropInput,
// Conv2DBackpropFilter) against tfjs-backend-cpu. Cases and tolerances: testing/.
import { convCases } from './testing/cases_conv';
import { defineCases } from './testing/harness';

describe('kdlts conformance: convolutions', () => {
  defineCases(convCases);
});
