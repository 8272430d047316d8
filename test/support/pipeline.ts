// Everything a full run needs, real and local: the shared Temporal server, the Docker engine, git
// origins, a GitHub API server checked against GitHub's OpenAPI description, a scripted model
// server for the real Codex CLI, and workers on a task queue of the test's own.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Metrics } from '../../config/metrics.js';
import Docker from 'dockerode';
import { runPaths } from '../../activities/workspace.js';
import type { Settings } from '../../config/settings.js';
import { createWorker, type SpecAutomationWorker } from '../../worker/create-worker.js';
import { SpecAutomationRun } from '../../workflows/index.js';
import type { RunInput } from '../../workflows/shared.js';
import { containersOfRun } from './docker.js';
import { GitHubApiServer } from './github-api-server.js';
import { GitOrigins } from './git-origin.js';
import { ScriptedModelServer, type Turn } from './scripted-model-server.js';
import { openTestDatabase, type TestDatabase } from './databases.js';
import { testSettings } from './settings.js';
import { connectTemporal } from './temporal.js';

export const GITHUB_TOKEN = 'ghp_pipelineTestToken0123456789';
export const CODEX_API_KEY = 'sk-pipeline-test-key-0123456789';
const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'speckit-output');

export class Pipeline {
  temporal!: Awaited<ReturnType<typeof connectTemporal>>;
  settings!: Settings;
  github = new GitHubApiServer();
  origins = new GitOrigins();
  model = new ScriptedModelServer();
  database!: TestDatabase;
  private cleanupSettings?: () => Promise<void>;
  private workers = new Map<string, { worker: SpecAutomationWorker; running: Promise<void> }>();
  env: NodeJS.ProcessEnv = { GITHUB_TOKEN, CODEX_API_KEY };
  /** Payload encryption for the workers and the client that starts runs. */
  dataConverter?: DataConverter;
  metrics?: Metrics;
  installRuntime = true;
  private codecClient?: Client;

  /** The client runs are started and read with (encrypting when a data converter is set). */
  get client(): Client {
    if (!this.dataConverter) return this.temporal.client;
    this.codecClient ??= new Client({ connection: this.temporal.client.connection, dataConverter: this.dataConverter });
    return this.codecClient;
  }

  async start(overrides: Record<string, string> = {}, databaseKind: 'pglite' | 'postgres' = 'pglite') {
    this.temporal = await connectTemporal({ installRuntime: this.installRuntime });
    this.database = await openTestDatabase(databaseKind);
    const { url } = await this.github.start();
    await this.model.start();
    const s = await testSettings({
      SPEC_AUTOMATION_GIT_BASE_URL: this.origins.baseUrl,
      SPEC_AUTOMATION_GITHUB_API_URL: url,
      SPEC_AUTOMATION_GITHUB_THROTTLE: 'false',
      SPEC_AUTOMATION_ALLOWED_AGENT_BACKENDS: 'codex_cli,stub',
      SPEC_AUTOMATION_AGENT_MAX_ATTEMPTS: '1',
      CODEX_BASE_URL: this.model.baseUrl,
      ...overrides,
    });
    this.settings = s.settings;
    this.cleanupSettings = s.cleanup;
  }

  /** A worker on its own task queue; `tune` adjusts its settings (attempts, shutdown grace). */
  async startWorker(taskQueue: string, tune: (s: Settings) => Settings = (s) => s) {
    const settings = tune(this.settings);
    const worker = await createWorker({ connection: this.temporal.nativeConnection, settings, docker: new Docker(), db: this.database.database.db, taskQueue, env: this.env, dataConverter: this.dataConverter, metrics: this.metrics });
    const entry = { worker, running: worker.run() };
    this.workers.set(taskQueue, entry);
    return entry;
  }

  async stopWorker(taskQueue: string) {
    const entry = this.workers.get(taskQueue);
    if (!entry) return;
    entry.worker.shutdown();
    await entry.running;
    this.workers.delete(taskQueue);
  }

  async stop() {
    for (const q of [...this.workers.keys()]) await this.stopWorker(q);
    await this.temporal?.close();
    await this.github.stop();
    await this.model.stop();
    this.origins.dispose();
    await this.database?.dispose();
    await this.cleanupSettings?.();
  }

  startRun(taskQueue: string, input: RunInput, workflowId = `run-${randomUUID()}`): Promise<WorkflowHandle<typeof SpecAutomationRun>> {
    return this.client.workflow.start(SpecAutomationRun, { taskQueue, workflowId, args: [input] });
  }

  paths(runId: string) {
    return runPaths(this.settings.workspaceRoot, runId);
  }

  artifactNames(runId: string): string[] {
    return fs.readdirSync(this.paths(runId).artifacts).sort();
  }

  artifact(runId: string, name: string): string {
    return fs.readFileSync(path.join(this.paths(runId).artifacts, name), 'utf8');
  }

  /** Nothing of the run may be left: no container, no clone, no HOME. */
  async leftovers(runId: string) {
    const p = this.paths(runId);
    return {
      containers: (await containersOfRun(runId)).length,
      repo: fs.existsSync(p.repo),
      home: fs.existsSync(p.home),
    };
  }
}

/** The Codex turns of a good run: for each step, write the step's file with a shell tool call, then finish. */
export function codexWritesSpecKitFiles(): Turn[] {
  return ['spec.md', 'plan.md', 'tasks.md'].flatMap((file): Turn[] => [
    // The file's content travels as an argument of its own; the feature directory comes from the
    // environment the service gives the agent.
    { tools: [{ shell: ['bash', '-c', `mkdir -p "$SPECIFY_FEATURE_DIRECTORY" && printf '%s' "$0" > "$SPECIFY_FEATURE_DIRECTORY/${file}"`, fixture(file)] }] },
    { message: `Wrote ${file}.` },
  ]);
}

export function fixture(file: string): string {
  return fs.readFileSync(path.join(fixtures, file), 'utf8');
}
