// The first vertical slice against a real Temporal server and a real Docker engine: workspace,
// job container, one exec, and cleanup on success, failure and cancellation.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPaths } from '../activities/workspace.js';
import { createWorker } from '../worker/create-worker.js';
import { SpecAutomationRun } from '../workflows/index.js';
import { statusQuery } from '../workflows/shared.js';
import { containersOfRun } from './support/docker.js';
import { connectTemporal, waitFor } from './support/temporal.js';
import { testSettings } from './support/settings.js';

let temporal: Awaited<ReturnType<typeof connectTemporal>>;
let env: Awaited<ReturnType<typeof testSettings>>;
const workers: { worker: Worker; running: Promise<void> }[] = [];

async function startWorker(taskQueue: string, probeCommand?: string[]) {
  const worker = await createWorker({
    connection: temporal.nativeConnection,
    settings: env.settings,
    docker: new Docker(),
    taskQueue,
    probeCommand,
  });
  workers.push({ worker, running: worker.run() });
}

beforeAll(async () => {
  temporal = await connectTemporal();
  env = await testSettings();
  await startWorker('slice-default');
  await startWorker('slice-failing', ['git', '--no-such-option']);
  await startWorker('slice-slow', ['sleep', '300']);
});

afterAll(async () => {
  for (const w of workers) w.worker.shutdown();
  await Promise.all(workers.map((w) => w.running));
  await temporal?.close();
  await env?.cleanup();
});

function start(taskQueue: string, input: Record<string, unknown> = {}) {
  return temporal.client.workflow.start(SpecAutomationRun, { taskQueue, workflowId: `slice-${randomUUID()}`, args: [input] });
}

describe('SpecAutomationRun slice', () => {
  it('runs git --version in the job container, keeps the output as an artifact, and removes the container and clone', async () => {
    const handle = await start('slice-default');
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.artifacts).toEqual(['toolchain-probe.log']);
    expect(result.phases.probe).toMatchObject({ state: 'succeeded', attempt: 1 });

    const paths = runPaths(env.settings.workspaceRoot, handle.workflowId);
    const artifact = fs.readFileSync(`${paths.artifacts}/toolchain-probe.log`, 'utf8');
    expect(artifact).toMatch(/exit code: 0/);
    expect(artifact).toMatch(/git version 2\.\d+/);
    expect(fs.statSync(paths.runDir).mode & 0o777).toBe(0o750);
    expect(fs.existsSync(paths.repo)).toBe(false);
    expect(fs.existsSync(paths.home)).toBe(false);
    expect(await containersOfRun(handle.workflowId)).toEqual([]);
  });

  it('keeps the workspace when the run asks to retain it, and still removes the container', async () => {
    const handle = await start('slice-default', { retainWorkspace: true });
    await handle.result();
    const paths = runPaths(env.settings.workspaceRoot, handle.workflowId);
    expect(fs.existsSync(paths.repo)).toBe(true);
    expect(fs.existsSync(paths.home)).toBe(true);
    expect(await containersOfRun(handle.workflowId)).toEqual([]);
  });

  it('a failing activity fails the run with the phase named and still removes the container and clone', async () => {
    const handle = await start('slice-failing');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/run failed in probe: git exited with 129/);
    const status = await handle.query(statusQuery);
    expect(status.status).toBe('failed');
    expect(status.phases.probe.state).toBe('failed');
    expect(status.phases.finalize.state).toBe('succeeded');
    const paths = runPaths(env.settings.workspaceRoot, handle.workflowId);
    expect(fs.readFileSync(`${paths.artifacts}/toolchain-probe.log`, 'utf8')).toMatch(/exit code: 129/);
    expect(fs.existsSync(paths.repo)).toBe(false);
    expect(await containersOfRun(handle.workflowId)).toEqual([]);
  });

  it('a cancellation during the exec stops it within seconds and removes the container and workspace', async () => {
    const handle = await start('slice-slow');
    await waitFor(async () => (await handle.query(statusQuery)).phases.probe.state === 'running', 60_000, 'the probe to run');
    expect(await containersOfRun(handle.workflowId)).toHaveLength(1);
    // Let the exec actually start inside the container before cancelling.
    await new Promise((r) => setTimeout(r, 1500));
    const cancelledAt = Date.now();
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.name).toBe('CancelledFailure');
    expect(Date.now() - cancelledAt).toBeLessThan(20_000);
    const status = await handle.query(statusQuery);
    expect(status.status).toBe('cancelled');
    expect(status.phases.probe.state).toBe('cancelled');
    const paths = runPaths(env.settings.workspaceRoot, handle.workflowId);
    expect(fs.existsSync(paths.repo)).toBe(false);
    expect(fs.existsSync(paths.home)).toBe(false);
    expect(await containersOfRun(handle.workflowId)).toEqual([]);
  });
});
