// Secret redaction, applied to every log record, artifact and stored value that could carry one.
// Two rules: known secret values are replaced wherever they appear (also inside longer strings and
// nested objects), and values under sensitive-looking keys are replaced whatever they are.

export const REDACTED = '***REDACTED***';

const SENSITIVE_KEY = /password|secret|token|key|credential|auth|cookie|session/i;
/** Keys that look sensitive to the pattern above but never hold secrets. */
const ALLOWED_KEYS = new Set(['PATH', 'HOME', 'SHELL', 'LANG', 'PWD', 'USER', 'LOGNAME', 'TERM', 'HOSTNAME', 'LC_ALL', 'LC_CTYPE', 'LANGUAGE', 'TZ']);

/** Secret values shorter than this are not replaced inside text: they would match everywhere. */
const MIN_SECRET_LENGTH = 6;

export function isSensitiveKey(key: string): boolean {
  return !ALLOWED_KEYS.has(key) && SENSITIVE_KEY.test(key);
}

export function redactText(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= MIN_SECRET_LENGTH && out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Deep copy with secret values replaced and sensitive keys' values redacted. */
export function redactValue(value: unknown, secrets: Iterable<string>, seen = new WeakSet<object>()): unknown {
  const list = [...secrets];
  const walk = (v: unknown, key?: string): unknown => {
    if (key !== undefined && isSensitiveKey(key) && v !== null && v !== undefined && typeof v !== 'object') return REDACTED;
    if (typeof v === 'string') return redactText(v, list);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v as object)) return '[Circular]';
    seen.add(v as object);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v instanceof Error) return { type: v.name, message: redactText(v.message, list), stack: v.stack ? redactText(v.stack, list) : undefined };
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x, k)]));
  };
  return walk(value);
}

/**
 * Every secret value this process has seen: the well-known credentials of its own environment and
 * each run's injected credentials (added as they are collected). Log records are scrubbed against it.
 * Bounded, oldest first out, so a long-lived worker does not grow without end.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();
  constructor(private readonly max = 10_000) {}

  add(...secrets: (string | undefined)[]): void {
    for (const s of secrets) {
      if (!s || s.length < MIN_SECRET_LENGTH || this.values.has(s)) continue;
      this.values.add(s);
      if (this.values.size > this.max) this.values.delete(this.values.values().next().value!);
    }
  }

  /** Longest first, so a secret containing another is replaced whole. */
  list(): string[] {
    return [...this.values].sort((a, b) => b.length - a.length);
  }
}

const WELL_KNOWN_SECRET_ENV = ['GITHUB_TOKEN', 'GH_TOKEN', 'SPEC_WORKFLOW_GITHUB_TOKEN', 'CODEX_API_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'SPEC_AUTOMATION_PAYLOAD_KEY'];

/** The secrets of this process's own environment, for the process-wide registry. */
export function secretsFromEnvironment(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!v) continue;
    if (WELL_KNOWN_SECRET_ENV.includes(k) || k.startsWith('SPEC_AUTOMATION_SECRET_')) out.push(v);
    // API tokens (`token` or `token=repos`, comma-separated) and payload keys (`kid:key`).
    if (k === 'SPEC_AUTOMATION_API_TOKENS') out.push(...v.split(',').map((e) => e.split('=')[0]!.trim()));
    if (k === 'SPEC_AUTOMATION_PAYLOAD_KEY') out.push(...v.split(',').map((e) => e.split(':').at(-1)!.trim()));
    if (k === 'DATABASE_URL' || k === 'TEST_DATABASE_URL') {
      try {
        const password = decodeURIComponent(new URL(v).password);
        if (password) out.push(password);
      } catch {
        // not a URL: nothing to extract
      }
    }
  }
  return out;
}

/** The process-wide registry every logger of this process scrubs against. */
export const knownSecrets = new SecretRegistry();
knownSecrets.add(...secretsFromEnvironment(process.env));
