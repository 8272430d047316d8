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
