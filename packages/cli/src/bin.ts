#!/usr/bin/env node
// The `kdlts` executable.
import { main } from './program';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
