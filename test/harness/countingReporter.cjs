// Mocha's spec output for people, plus a counts file for the summary line CI reads.
// The counts file is named by AUTOGLM_RESULT_FILE; without it only the spec output is written.
'use strict';
const Mocha = require('mocha');
const fs = require('node:fs');
const path = require('node:path');

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const file = process.env.AUTOGLM_RESULT_FILE;
    const failures = [];
    runner.on('fail', (test, err) => failures.push({ title: test.fullTitle(), message: String(err && err.message) }));
    runner.once('end', () => {
      if (!file) return;
      const s = runner.stats || {};
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ passed: s.passes || 0, failed: s.failures || 0, skipped: s.pending || 0, failures }, null, 2));
    });
  }
}
module.exports = CountingReporter;
