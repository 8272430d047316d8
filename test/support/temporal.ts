// Connections to the suite's shared Temporal dev server.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { inject } from 'vitest';

let runtimeInstalled = false;

/** `installRuntime: false` when the test file installed a Runtime of its own (to capture logs). */
export async function connectTemporal({ installRuntime = true }: { installRuntime?: boolean } = {}) {
  if (installRuntime && !runtimeInstalled) {
    // Worker state changes at INFO drown the test output; failures are still logged.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const address = inject('temporalAddress');
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  return {
    address,
    nativeConnection,
    client,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** Polls `check` until it returns a value, at most `timeoutMs` (every wait in the suite is bounded). */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
