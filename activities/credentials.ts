// Which secrets a run's job container gets, where each came from, and whether the run can proceed.
// Secrets are injected only into the job container; everything recorded about them is keys and sources.
import type { AgentBackend, ResolvedRun } from '../workflows/shared.js';
import { knownSecrets, REDACTED } from '../config/redact.js';

export type CredentialSource = 'process_env' | 'settings_override' | 'runtime_environment';

export interface AuditEntry {
  key: string;
  source: CredentialSource;
  /** Where the winning value was read, e.g. `SPEC_WORKFLOW_GITHUB_TOKEN`. */
  from: string;
  /** Earlier sources this one replaced. */
  overrides: CredentialSource[];
  value: string;
}

export interface CredentialAudit {
  backend: AgentBackend;
  entries: AuditEntry[];
  missing: { key: string; reason: string }[];
}

export interface CollectedCredentials {
  /** Environment for the job container. */
  env: Record<string, string>;
  /** Every secret value, for redaction of logs and artifacts. */
  secretValues: string[];
  audit: CredentialAudit;
}

const BACKEND_CREDENTIAL: Record<AgentBackend, { key: string; aliases: string[] } | null> = {
  codex_cli: { key: 'CODEX_API_KEY', aliases: ['OPENAI_API_KEY'] },
  claude_code: { key: 'ANTHROPIC_API_KEY', aliases: [] },
  gemini_cli: { key: 'GEMINI_API_KEY', aliases: ['GOOGLE_API_KEY'] },
  stub: null,
};

/**
 * Collects the run's credentials in precedence order: the worker's process environment, then the
 * settings override (SPEC_WORKFLOW_GITHUB_TOKEN), then the run's runtimeEnvironment. A later source
 * replaces an earlier one, and the audit says which won.
 */
export function collectCredentials(
  run: ResolvedRun,
  runtimeEnvironment: Record<string, string>,
  processEnv: NodeJS.ProcessEnv,
): CollectedCredentials {
  const chosen = new Map<string, { value: string; source: CredentialSource; from: string; overrides: CredentialSource[] }>();
  const offer = (key: string, value: string | undefined, source: CredentialSource, from: string) => {
    if (!value) return;
    const prev = chosen.get(key);
    chosen.set(key, { value, source, from, overrides: prev ? [...prev.overrides, prev.source] : [] });
  };

  // 1. Process environment: the GitHub token, the backend's credential, and SPEC_AUTOMATION_SECRET_*.
  offer('GITHUB_TOKEN', processEnv.GH_TOKEN, 'process_env', 'GH_TOKEN');
  offer('GITHUB_TOKEN', processEnv.GITHUB_TOKEN, 'process_env', 'GITHUB_TOKEN');
  const credential = BACKEND_CREDENTIAL[run.agentBackend];
  if (credential) {
    for (const alias of credential.aliases) offer(credential.key, processEnv[alias], 'process_env', alias);
    offer(credential.key, processEnv[credential.key], 'process_env', credential.key);
  }
  for (const [k, v] of Object.entries(processEnv)) {
    if (k.startsWith('SPEC_AUTOMATION_SECRET_')) offer(k, v, 'process_env', k);
  }
  // 2. Settings override.
  offer('GITHUB_TOKEN', processEnv.SPEC_WORKFLOW_GITHUB_TOKEN, 'settings_override', 'SPEC_WORKFLOW_GITHUB_TOKEN');
  // 3. The run's own runtime environment wins.
  for (const [k, v] of Object.entries(runtimeEnvironment)) offer(k, v, 'runtime_environment', k);

  const env: Record<string, string> = {};
  for (const [k, c] of chosen) env[k] = c.value;
  // gh reads GH_TOKEN; git's credential helper reads GITHUB_TOKEN. Same value, one audit entry.
  if (env.GITHUB_TOKEN) env.GH_TOKEN = env.GITHUB_TOKEN;

  const missing: CredentialAudit['missing'] = [];
  if (credential && !env[credential.key]) {
    missing.push({ key: credential.key, reason: `required by agent backend ${run.agentBackend} (also accepted: ${[credential.key, ...credential.aliases].join(', ')})` });
  }
  if (run.publishMode === 'push_and_pr' && !env.GITHUB_TOKEN) {
    missing.push({ key: 'GITHUB_TOKEN', reason: 'required to push and open the pull request (set GITHUB_TOKEN, GH_TOKEN or SPEC_WORKFLOW_GITHUB_TOKEN, or use dryRun)' });
  }

  const secretValues = [...new Set([...chosen.values()].map((c) => c.value))];
  // From now on every log record of this process is scrubbed of these values too.
  knownSecrets.add(...secretValues);
  return {
    env,
    secretValues,
    audit: {
      backend: run.agentBackend,
      entries: [...chosen.entries()]
        .map(([key, c]) => ({ key, source: c.source, from: c.from, overrides: c.overrides, value: REDACTED }))
        .sort((a, b) => a.key.localeCompare(b.key)),
      missing,
    },
  };
}
