// The run's input contract (zod) and the activity that validates it and applies every default.
// The same schema validates API bodies, so the REST API and `temporal workflow start` agree.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { Context } from '@temporalio/activity';
import type { Metrics } from '../config/metrics.js';
import type { Settings } from '../config/settings.js';
import { REDACTED } from '../config/redact.js';
import type { Db } from '../db/client.js';
import { markRunStarted, updateRun } from '../db/runs-repository.js';
import { recordPhase } from './recording.js';
import { ErrorType } from '../workflows/errors.js';
import { AGENT_BACKENDS, type ResolvedRun, type RunInput } from '../workflows/shared.js';

const SLUG = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A git branch name acceptable to `git check-ref-format --branch`, conservatively. */
const branchName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?!\/)(?!.*\/\/)(?!.*\.\.)(?!.*@\{)(?!.*\/$)(?!.*\.lock$)(?!.*\.$)[A-Za-z0-9._\/-]+$/, 'not a valid git branch name')
  .refine((b) => !b.startsWith('-'), 'must not start with "-"');

export const RunInputSchema = z
  .object({
    repository: z
      .string()
      .min(1)
      .max(500)
      .refine((r) => SLUG.test(r) || /^https:\/\/[^\s]+$/.test(r) || /^file:\/\/\/[^\s]+$/.test(r), 'must be owner/name, an https:// git URL or a file:/// URL')
      // Credentials in a URL would end up in search attributes, logs and the database.
      .refine((r) => SLUG.test(r) || isPlainUrl(r), 'must not carry credentials, a query or a fragment'),
    featureDescription: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(20_000)
      .refine((d) => !d.startsWith('-'), 'must not start with "-"'),
    baseBranch: branchName.default('main'),
    planGuidance: z.string().max(20_000).default(''),
    tasksGuidance: z.string().max(20_000).default(''),
    agentBackend: z.enum(AGENT_BACKENDS).optional(),
    agentModel: z.string().min(1).max(200).optional(),
    dryRun: z.boolean().default(false),
    retainWorkspace: z.boolean().default(false),
    branchName: branchName.optional(),
    labels: z.array(z.string().min(1).max(50)).max(20).default(['spec-kit', 'automation']),
    runtimeEnvironment: z
      .record(z.string().regex(ENV_KEY, 'must be an environment variable name'), z.string().max(10_000))
      .default({}),
    externalRef: z.string().max(255).optional(),
    gitAuthorName: z.string().min(1).max(200).optional(),
    gitAuthorEmail: z.string().email().max(200).optional(),
  })
  .strict()
  .refine((v) => v.branchName === undefined || v.branchName !== v.baseBranch, { path: ['branchName'], message: 'must differ from baseBranch (the run never pushes to its base)' });

function isPlainUrl(r: string): boolean {
  try {
    const u = new URL(r);
    return !u.username && !u.password && !u.search && !u.hash;
  } catch {
    return false;
  }
}

export type ValidRunInput = z.infer<typeof RunInputSchema>;

/** `field: problem` for each issue, so the error names the field an operator must fix. */
export function describeIssues(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((i) => ({
    field: i.path.length ? i.path.join('.') : i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(', ') ?? '(root)' : '(root)',
    message: i.message,
  }));
}

/** Eight characters that identify the run in branch names and PR titles. */
export function shortRunId(runId: string): string {
  const uuidLike = /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(runId);
  return uuidLike ? runId.slice(0, 8).toLowerCase() : createHash('sha256').update(runId).digest('hex').slice(0, 8);
}

export function createRunInputActivities({ settings, db, metrics }: { settings: Settings; db: Db; metrics: Metrics }) {
  return {
    /**
     * Records the run's start (its row exists from here on, whoever started it), then validates the
     * raw workflow input and applies every default; invalid input fails at once, naming the field.
     */
    async resolveRunInput({ runId, input }: { runId: string; input: RunInput }): Promise<ResolvedRun> {
      const raw = (typeof input === 'object' && input !== null ? input : {}) as Partial<RunInput>;
      await markRunStarted(db, {
        id: runId,
        workflowId: runId,
        temporalRunId: Context.current().info.workflowExecution?.runId,
        repository: typeof raw.repository === 'string' ? raw.repository.slice(0, 500) : 'unknown',
        baseBranch: typeof raw.baseBranch === 'string' ? raw.baseBranch.slice(0, 200) : 'main',
        dryRun: raw.dryRun === true,
        externalRef: typeof raw.externalRef === 'string' ? raw.externalRef.slice(0, 255) : undefined,
        requestedSpecInput: redactRuntimeEnvironment(raw),
        workerHostname: settings.worker.hostname,
      });
      const repo = typeof raw.repository === 'string' ? raw.repository : undefined;
      if (Context.current().info.attempt === 1) metrics.runStart({ run_id: runId, repo });
      const resolved = await recordPhase({ settings, db, metrics }, { runId, repo, phase: 'validate' }, async () => validate(runId, raw));
      await updateRun(db, runId, { branchName: resolved.branchName, repository: resolved.repository, baseBranch: resolved.baseBranch });
      return resolved;
    },
  };

  function validate(runId: string, input: Partial<RunInput>): ResolvedRun {
      const parsed = RunInputSchema.safeParse(input ?? {});
      if (!parsed.success) {
        const issues = describeIssues(parsed.error);
        throw ApplicationFailure.create({
          type: ErrorType.InvalidInput,
          nonRetryable: true,
          message: `invalid run input: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
          details: [{ issues }],
        });
      }
      const v = parsed.data;
      const violation = policyViolation(v, settings);
      if (violation) {
        throw ApplicationFailure.create({ type: violation.type, nonRetryable: true, message: `${violation.field}: ${violation.message}` });
      }
      const agentBackend = (v.agentBackend ?? settings.agents.defaultBackend) as NonNullable<ValidRunInput['agentBackend']>;
      const { cloneUrl, slug, mounts } = resolveRepository(v.repository, settings.github.gitBaseUrl);
      const runIdShort = shortRunId(runId);
      const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
      return {
        runId,
        runIdShort,
        repository: v.repository,
        repositorySlug: slug,
        cloneUrl,
        originMounts: mounts,
        baseBranch: v.baseBranch,
        branchName: v.branchName ?? `spec_automation/${today}/${runIdShort}`,
        featureDescription: v.featureDescription,
        planGuidance: v.planGuidance,
        tasksGuidance: v.tasksGuidance,
        agentBackend,
        agentModel: v.agentModel,
        dryRun: v.dryRun,
        publishMode: v.dryRun || settings.testMode ? 'local_only' : 'push_and_pr',
        retainWorkspace: v.retainWorkspace,
        labels: v.labels,
        externalRef: v.externalRef,
        gitAuthorName: v.gitAuthorName ?? settings.git.authorName,
        gitAuthorEmail: v.gitAuthorEmail ?? settings.git.authorEmail,
        runtimeEnvironmentKeys: Object.keys(v.runtimeEnvironment).sort(),
        agentTimeoutSeconds: settings.agent.timeoutSeconds,
        agentMaxAttempts: settings.agent.maxAttempts,
      };
  }
}

/**
 * What this deployment refuses although the input is well-formed: a backend it does not allow, or
 * a file:// repository outside SPEC_AUTOMATION_FILE_ORIGIN_ROOTS (it would be bind-mounted into the
 * job container). Checked by the API before a run starts, and again by the run itself.
 */
export function policyViolation(v: ValidRunInput, settings: Settings): { field: string; message: string; type: string } | undefined {
  const backend = v.agentBackend ?? settings.agents.defaultBackend;
  if (!(AGENT_BACKENDS as readonly string[]).includes(backend)) {
    return { field: 'agentBackend', type: ErrorType.InvalidInput, message: `unknown backend "${backend}" (known: ${AGENT_BACKENDS.join(', ')})` };
  }
  if (!settings.agents.allowedBackends.includes(backend)) {
    return { field: 'agentBackend', type: ErrorType.AgentBackendNotAllowed, message: `"${backend}" is not allowed here (SPEC_AUTOMATION_ALLOWED_AGENT_BACKENDS=${settings.agents.allowedBackends.join(',')})` };
  }
  if (v.repository.startsWith('file://')) {
    const { mounts } = resolveRepository(v.repository, settings.github.gitBaseUrl);
    const roots = settings.github.fileOriginRoots;
    if (!mounts.every((m) => roots.some((root) => m === root || m.startsWith(root + path.sep)))) {
      return { field: 'repository', type: ErrorType.InvalidInput, message: `file:// repositories must lie under SPEC_AUTOMATION_FILE_ORIGIN_ROOTS (${roots.join(', ') || 'none configured'})` };
    }
  }
  return undefined;
}

/** The request as stored for operators: runtimeEnvironment keys kept, every value redacted. */
export function redactRuntimeEnvironment(input: Partial<RunInput>): Record<string, unknown> {
  const env = input.runtimeEnvironment;
  if (!env || typeof env !== 'object') return { ...input };
  return { ...input, runtimeEnvironment: Object.fromEntries(Object.keys(env).map((k) => [k, REDACTED])) };
}

/**
 * `owner/name` clones from SPEC_AUTOMATION_GIT_BASE_URL (GitHub, GitHub Enterprise, or a local
 * file:// mirror); a URL clones as given. The slug for GitHub's API is owner/name, or the URL's last
 * two path segments. file:// origins must be visible inside the job container at the same path.
 */
export function resolveRepository(repository: string, gitBaseUrl: string): { cloneUrl: string; slug: string; mounts: string[] } {
  if (SLUG.test(repository)) {
    const cloneUrl = `${gitBaseUrl.replace(/\/+$/, '')}/${repository}.git`;
    return { cloneUrl, slug: repository, mounts: fileMounts(cloneUrl) };
  }
  const url = new URL(repository);
  const segments = url.pathname.split('/').filter(Boolean);
  const name = (segments.at(-1) ?? '').replace(/\.git$/, '');
  const owner = segments.at(-2) ?? name;
  return { cloneUrl: repository, slug: `${owner}/${name}`, mounts: fileMounts(repository) };
}

function fileMounts(cloneUrl: string): string[] {
  if (!cloneUrl.startsWith('file://')) return [];
  return [path.resolve(decodeURIComponent(new URL(cloneUrl).pathname))];
}
