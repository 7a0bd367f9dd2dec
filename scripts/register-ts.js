// Lets a child process run the TypeScript sources directly, the way jest does (swc, commonjs):
//   node -r ./scripts/register-ts.js packages/train/src/testing/some-script.ts
// .ts files are compiled by swc when required, and `@kdlts/<pkg>` resolves to
// packages/<pkg>/src/index.ts (jest.preset.js's moduleNameMapper), so tests that spawn processes
// run the same code as the test itself, with no build step.
const fs = require('fs');
const Module = require('module');
const path = require('path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveKdlts(request, ...rest) {
  const match = /^@kdlts\/((?!native-core)[^/]+)$/.exec(request);
  const target = match ? path.join(root, 'packages', match[1], 'src', 'index.ts') : request;
  return resolveFilename.call(this, target, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
