// Every knob of the service is an environment variable, parsed once here with zod so a bad value
// fails at start with the variable's name instead of deep inside a run.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AGENT_BACKENDS } from '../workflows/shared.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const EnvSchema = z.object({
  SPEC_AUTOMATION_DATA_DIR: z.string().default('.data'),
  SPEC_AUTOMATION_WORKSPACE_ROOT: z.string().optional(),
  SPEC_AUTOMATION_JOB_IMAGE: z.string().default('spec-automation-job:local'),
  SPEC_AUTOMATION_JOB_NETWORK: z.string().default('bridge'),
  SPEC_AUTOMATION_JOB_UID: z.coerce.number().int().min(1).default(10001),
  SPEC_AUTOMATION_JOB_GID: z.coerce.number().int().min(1).default(10001),
  SPEC_AUTOMATION_JOB_MEMORY_MB: z.coerce.number().int().min(0).default(4096),
  SPEC_AUTOMATION_JOB_PIDS_LIMIT: z.coerce.number().int().min(0).default(4096),
  SPEC_AUTOMATION_JOB_CPUS: z.coerce.number().min(0).default(0),
  SPEC_AUTOMATION_FILE_ORIGIN_ROOTS: list.default([]),
  SPEC_AUTOMATION_ARTIFACT_RETENTION_DAYS: z.coerce.number().min(1).default(7),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  PORT: port.default(3000),
  HOST: z.string().optional(),
  SPEC_AUTOMATION_API_TOKENS: z.string().optional(),
  SPEC_AUTOMATION_PAYLOAD_KEY: z.string().optional(),
  SPEC_AUTOMATION_CODEC_ALLOWED_ORIGINS: list.optional(),
  SPEC_AUTOMATION_TEMPORAL_METRICS_BIND: z.string().optional(),
  SPEC_AUTOMATION_API_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  SPEC_AUTOMATION_PUBLIC_URL: z.string().optional(),
  SPEC_AUTOMATION_WORKER_MAX_ACTIVITIES: z.coerce.number().int().min(1).default(8),
  SPEC_AUTOMATION_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).default(30),
  SPEC_AUTOMATION_HOUSEKEEPING_INTERVAL_SECONDS: z.coerce.number().min(0).default(300),
  SPEC_AUTOMATION_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  SPEC_AUTOMATION_ALLOWED_AGENT_BACKENDS: list.default(['codex_cli']),
  SPEC_AUTOMATION_AGENT_BACKEND: z.string().default('codex_cli'),
  SPEC_WORKFLOW_TEST_MODE: bool.default(false),
  SPEC_AUTOMATION_GITHUB_API_URL: z.string().url().default('https://api.github.com'),
  SPEC_AUTOMATION_GIT_BASE_URL: z.string().default('https://github.com'),
  SPEC_AUTOMATION_GITHUB_THROTTLE: bool.default(true),
  SPEC_AUTOMATION_GIT_AUTHOR_NAME: z.string().default('Spec Kit Bot'),
  SPEC_AUTOMATION_GIT_AUTHOR_EMAIL: z.string().default('spec-kit-bot@users.noreply.github.com'),
  SPEC_AUTOMATION_AGENT_TIMEOUT_SECONDS: z.coerce.number().int().min(10).default(1800),
  SPEC_AUTOMATION_GIT_TIMEOUT_SECONDS: z.coerce.number().int().min(10).default(900),
  SPEC_AUTOMATION_SPECIFY_INIT_TIMEOUT_SECONDS: z.coerce.number().int().min(10).default(300),
  SPEC_AUTOMATION_AGENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  CODEX_MODEL: z.string().default('gpt-5.5'),
  CODEX_BASE_URL: z.string().url().optional(),
  CLAUDE_MODEL: z.string().optional(),
  GEMINI_MODEL: z.string().optional(),
});

export type Settings = ReturnType<typeof loadSettings>;

export function loadSettings(env: NodeJS.ProcessEnv = process.env) {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  // Backends are checked here, so a typo fails at start rather than in every run.
  const known: readonly string[] = AGENT_BACKENDS;
  const unknown = [...e.SPEC_AUTOMATION_ALLOWED_AGENT_BACKENDS, e.SPEC_AUTOMATION_AGENT_BACKEND].filter((b) => !known.includes(b));
  if (unknown.length) throw new Error(`invalid configuration: unknown agent backend(s) ${unknown.join(', ')} in SPEC_AUTOMATION_ALLOWED_AGENT_BACKENDS / SPEC_AUTOMATION_AGENT_BACKEND (known: ${known.join(', ')})`);
  const dataDir = path.resolve(e.SPEC_AUTOMATION_DATA_DIR);
  return {
    dataDir,
    workspaceRoot: path.resolve(e.SPEC_AUTOMATION_WORKSPACE_ROOT ?? path.join(dataDir, 'work')),
    job: {
      image: e.SPEC_AUTOMATION_JOB_IMAGE,
      network: e.SPEC_AUTOMATION_JOB_NETWORK,
      uid: e.SPEC_AUTOMATION_JOB_UID,
      gid: e.SPEC_AUTOMATION_JOB_GID,
      memoryMb: e.SPEC_AUTOMATION_JOB_MEMORY_MB,
      pidsLimit: e.SPEC_AUTOMATION_JOB_PIDS_LIMIT,
      cpus: e.SPEC_AUTOMATION_JOB_CPUS,
    },
    artifactRetentionDays: e.SPEC_AUTOMATION_ARTIFACT_RETENTION_DAYS,
    temporal: {
      /** When unset, `npm start` runs the dev server itself on 127.0.0.1:7233. */
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      cliPath: e.TEMPORAL_CLI_PATH,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: e.TEMPORAL_UI_URL,
    },
    databaseUrl: e.DATABASE_URL,
    api: { port: e.PORT, host: e.HOST, tokens: e.SPEC_AUTOMATION_API_TOKENS, maxBodyBytes: e.SPEC_AUTOMATION_API_MAX_BODY_BYTES },
    worker: {
      maxConcurrentActivities: e.SPEC_AUTOMATION_WORKER_MAX_ACTIVITIES,
      shutdownGraceSeconds: e.SPEC_AUTOMATION_SHUTDOWN_GRACE_SECONDS,
      /** Orphaned-container reaping and workspace expiry; 0 turns it off. */
      housekeepingIntervalSeconds: e.SPEC_AUTOMATION_HOUSEKEEPING_INTERVAL_SECONDS,
      hostname: os.hostname(),
    },
    logLevel: e.SPEC_AUTOMATION_LOG_LEVEL,
    /** AES-256-GCM key(s) for workflow payloads; `npm start` generates a local one when unset. */
    payloadKey: e.SPEC_AUTOMATION_PAYLOAD_KEY,
    codecAllowedOrigins: e.SPEC_AUTOMATION_CODEC_ALLOWED_ORIGINS,
    /** host:port for the worker runtime's Prometheus metrics (off when unset). */
    temporalMetricsBind: e.SPEC_AUTOMATION_TEMPORAL_METRICS_BIND,
    agents: {
      defaultBackend: e.SPEC_AUTOMATION_AGENT_BACKEND,
      allowedBackends: e.SPEC_AUTOMATION_ALLOWED_AGENT_BACKENDS,
    },
    testMode: e.SPEC_WORKFLOW_TEST_MODE,
    github: {
      /** GitHub's REST API: api.github.com, GitHub Enterprise's /api/v3, or a local server in tests. */
      apiUrl: e.SPEC_AUTOMATION_GITHUB_API_URL,
      /** Where owner/name repositories are cloned from. */
      gitBaseUrl: e.SPEC_AUTOMATION_GIT_BASE_URL,
      /** Host directories under which runs may name file:// repositories (none by default). */
      fileOriginRoots: e.SPEC_AUTOMATION_FILE_ORIGIN_ROOTS.map((r) => path.resolve(r)),
      /** Client-side pacing of writes (GitHub's secondary rate limits); off only for tests. */
      throttle: e.SPEC_AUTOMATION_GITHUB_THROTTLE,
    },
    /** Base of links to a run (PR bodies, CLI output). */
    publicUrl: e.SPEC_AUTOMATION_PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`,
    git: {
      authorName: e.SPEC_AUTOMATION_GIT_AUTHOR_NAME,
      authorEmail: e.SPEC_AUTOMATION_GIT_AUTHOR_EMAIL,
      /** Limit for one clone or push. */
      timeoutSeconds: e.SPEC_AUTOMATION_GIT_TIMEOUT_SECONDS,
    },
    specifyInitTimeoutSeconds: e.SPEC_AUTOMATION_SPECIFY_INIT_TIMEOUT_SECONDS,
    agent: {
      timeoutSeconds: e.SPEC_AUTOMATION_AGENT_TIMEOUT_SECONDS,
      maxAttempts: e.SPEC_AUTOMATION_AGENT_MAX_ATTEMPTS,
      codex: { model: e.CODEX_MODEL, baseUrl: e.CODEX_BASE_URL },
      claude: { model: e.CLAUDE_MODEL },
      gemini: { model: e.GEMINI_MODEL },
    },
  };
}
