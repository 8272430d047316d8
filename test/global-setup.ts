// One Temporal dev server for the whole suite, from the binary scripts/setup.sh provided; every test
// file connects to it (parallel createLocal() calls race at start-up).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { SEARCH_ATTRIBUTES } from '../workflows/shared.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

export default async function setup(project: TestProject) {
  const cliPath = process.env.TEMPORAL_CLI_PATH;
  if (!cliPath) throw new Error('TEMPORAL_CLI_PATH is not set: run the suite with `npm test`, which provides it');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cliPath },
      searchAttributes: SEARCH_ATTRIBUTES,
      ui: false,
    },
  });
  project.provide('temporalAddress', env.address);
  return async () => {
    await env.teardown();
  };
}
