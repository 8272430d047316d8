#!/usr/bin/env -S npx tsx
// Entry point of the `spec-automation` operator CLI (package.json "bin"); runs through tsx, so no
// build step: `npx tsx bin/spec-automation.ts --help`. The commands live in cli/.
import { main } from '../cli/program.js';

// `spec-automation list | head` closes stdout early; that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await main(process.argv);
// Exit once stdout has taken everything (a large artifact on a pipe), without waiting on idle
// keep-alive sockets of fetch.
process.stdout.write('', () => process.exit(code));
