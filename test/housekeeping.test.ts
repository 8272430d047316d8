// Housekeeping against the real Docker engine and Temporal server: containers of runs that are no
// longer running are reaped (a terminated workflow runs no finalization), expired workspaces go.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_LABEL, RUN_ID_LABEL, WORKSPACE_ROOT_LABEL } from '../activities/container.js';
import { createLogger } from '../config/logger.js';
import { purgeExpiredWorkspaces, reapOrphanedContainers } from '../worker/housekeeping.js';
import { SpecAutomationRun } from '../workflows/index.js';
import { containersOfRun, docker } from './support/docker.js';
import { testSettings } from './support/settings.js';
import { connectTemporal } from './support/temporal.js';

const logger = createLogger({ level: 'silent', pretty: false });
let temporal: Awaited<ReturnType<typeof connectTemporal>>;
let env: Awaited<ReturnType<typeof testSettings>>;
const made: string[] = [];

async function labelledContainer(runId: string) {
  const c = await docker.createContainer({ Image: process.env.SPEC_AUTOMATION_JOB_IMAGE ?? 'spec-automation-job:local', Cmd: ['sleep', 'infinity'], Labels: { [RUN_ID_LABEL]: runId, [MANAGED_LABEL]: 'true', [WORKSPACE_ROOT_LABEL]: env.settings.workspaceRoot } });
  await c.start();
  made.push(c.id);
  return c.id;
}

beforeAll(async () => {
  temporal = await connectTemporal();
  env = await testSettings();
});
afterAll(async () => {
  for (const id of made) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  await temporal?.close();
  await env?.cleanup();
});

describe('housekeeping', () => {
  it('reaps the container of a terminated run and of an unknown run, and keeps a running run\'s', async () => {
    const queue = `housekeeping-${randomUUID()}`; // no worker polls it: started runs stay running
    const running = await temporal.client.workflow.start(SpecAutomationRun, { taskQueue: queue, workflowId: `hk-running-${randomUUID()}`, args: [{ repository: 'a/b', featureDescription: 'x' }] });
    const terminated = await temporal.client.workflow.start(SpecAutomationRun, { taskQueue: queue, workflowId: `hk-terminated-${randomUUID()}`, args: [{ repository: 'a/b', featureDescription: 'x' }] });
    await terminated.terminate('operator terminated the run');
    const unknownRun = `hk-unknown-${randomUUID()}`;
    for (const id of [running.workflowId, terminated.workflowId, unknownRun]) await labelledContainer(id);
    // Another deployment's container on the same engine (another workspace root) is not ours to reap.
    const foreign = await docker.createContainer({ Image: process.env.SPEC_AUTOMATION_JOB_IMAGE ?? 'spec-automation-job:local', Cmd: ['sleep', 'infinity'], Labels: { [RUN_ID_LABEL]: `hk-foreign-${randomUUID()}`, [MANAGED_LABEL]: 'true', [WORKSPACE_ROOT_LABEL]: '/elsewhere' } });
    made.push(foreign.id);

    const ids = await Promise.all([running.workflowId, terminated.workflowId, unknownRun].map(async (id) => (await containersOfRun(id))[0]!.Id));
    const reaped = await reapOrphanedContainers({ settings: env.settings, docker, temporal: temporal.client, logger }, 0);
    expect(reaped.sort()).toEqual([ids[1], ids[2]].sort());
    expect((await foreign.inspect()).State.Status).not.toBe('removing');
    expect(await containersOfRun(terminated.workflowId)).toEqual([]);
    expect(await containersOfRun(unknownRun)).toEqual([]);
    expect(await containersOfRun(running.workflowId)).toHaveLength(1);
    await running.terminate('test done');
  });

  it('removes workspaces whose artifacts passed the retention period and keeps recent ones', async () => {
    const runs = path.join(env.settings.workspaceRoot, 'runs');
    for (const name of ['old-run', 'new-run']) fs.mkdirSync(path.join(runs, name, 'artifacts'), { recursive: true });
    fs.writeFileSync(path.join(runs, 'old-run', 'artifacts', 'x.log'), 'old');
    fs.writeFileSync(path.join(runs, 'new-run', 'artifacts', 'x.log'), 'new');
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    for (const p of [path.join(runs, 'old-run', 'artifacts', 'x.log'), path.join(runs, 'old-run', 'artifacts'), path.join(runs, 'old-run')]) fs.utimesSync(p, eightDaysAgo, eightDaysAgo);
    const purged = await purgeExpiredWorkspaces({ settings: env.settings, logger });
    expect(purged).toEqual([path.join(runs, 'old-run')]);
    expect(fs.existsSync(path.join(runs, 'new-run', 'artifacts', 'x.log'))).toBe(true);
  });
});
