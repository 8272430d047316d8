// Structured JSON logs (pino); human-readable when attached to a terminal. A sanitiser runs on every
// record: known secret values are replaced wherever they appear, and values under sensitive-looking
// keys (token, key, secret, password, auth, cookie, session, credential) are redacted.
import pino, { type DestinationStream, type Logger } from 'pino';
import { knownSecrets, redactText, redactValue, type SecretRegistry } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  level: string;
  name?: string;
  pretty?: boolean;
  /** Where records go (stdout unless given; tests capture them). */
  destination?: DestinationStream;
  secrets?: SecretRegistry;
}

export function createLogger(opts: LoggerOptions): Logger {
  const secrets = opts.secrets ?? knownSecrets;
  const pretty = !opts.destination && (opts.pretty ?? process.stdout.isTTY);
  const options: pino.LoggerOptions = {
    name: opts.name,
    level: opts.level,
    base: { pid: process.pid },
    hooks: {
      // Before pino serialises anything: scrub the merge object, the message and any format args.
      logMethod(args, method) {
        const list = secrets.list();
        const clean = args.map((a) => (typeof a === 'string' ? redactText(a, list) : redactValue(a, list)));
        return method.apply(this, clean as Parameters<typeof method>);
      },
    },
    formatters: {
      // Child-logger bindings (run id, phase, container id) are scrubbed too.
      bindings: (b) => redactValue(b, secrets.list()) as Record<string, unknown>,
    },
    transport: pretty ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } : undefined,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
