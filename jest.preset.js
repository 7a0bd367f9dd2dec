// Shared jest settings: TypeScript through swc (no tsc in the test path), tests beside sources,
// workspace packages resolved to their sources, and a JSON result file per package that
// scripts/summarize-tests.mjs adds up.
const path = require('path');

module.exports = function preset(packageDir) {
  return {
    rootDir: packageDir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/src/**/*.test.ts'],
    transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
    moduleNameMapper: { '^@kdlts/((?!native-core).+)$': path.join(__dirname, 'packages/$1/src') },
    reporters: [
      'default',
      [path.join(__dirname, 'scripts/jest-json-reporter.js'), { outputFile: path.join(packageDir, '.test-results/jest.json') }],
    ],
    testTimeout: 120000,
  };
};
