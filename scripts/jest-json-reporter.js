// A jest reporter that writes the run's counts to a JSON file (atomically), for
// scripts/summarize-tests.mjs. Jest's own summary is for people; this is for CI.
const fs = require('fs');
const path = require('path');

class JsonCountsReporter {
  constructor(globalConfig, options) {
    this.outputFile = options.outputFile;
  }

  onRunComplete(_contexts, results) {
    const counts = {
      runner: 'jest',
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      failedSuites: results.numFailedTestSuites,
    };
    fs.mkdirSync(path.dirname(this.outputFile), { recursive: true });
    const tmp = `${this.outputFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(counts, null, 2));
    fs.renameSync(tmp, this.outputFile);
  }
}

module.exports = JsonCountsReporter;
