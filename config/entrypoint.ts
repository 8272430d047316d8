// Shared by the entry points: a start-up failure prints one line (no stack trace, unless
// SPEC_AUTOMATION_DEBUG=true) and runs the cleanups registered so far, such as stopping the
// embedded Temporal dev server, so a failed start leaves nothing running.
import type { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/shared.js';

const cleanups: (() => Promise<void>)[] = [];

export function onFailedStart(cleanup: () => Promise<void>): void {
  cleanups.unshift(cleanup);
}

export function runMain(main: () => Promise<void>): void {
  main().catch(async (err: unknown) => {
    for (const c of cleanups) await c().catch(() => undefined);
    const debug = process.env.SPEC_AUTOMATION_DEBUG === 'true';
    console.error(`error: ${debug && err instanceof Error ? err.stack : err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

/**
 * A server without the project's search attributes would fail every workflow task of every run
 * (the workflow upserts them): refuse to start and say which are missing and how to add them.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => !customAttributes?.[name]);
  if (missing.length) {
    throw new Error(
      `the Temporal namespace "${namespace}" lacks the search attributes ${missing.join(', ')}; add them with: ` +
        missing.map((m) => `temporal operator search-attribute create --namespace ${namespace} --name ${m} --type Keyword`).join(' && '),
    );
  }
}
