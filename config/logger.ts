// Structured JSON logs (pino); human-readable when attached to a terminal. A sanitiser runs on every
// record: known secret values are replaced wherever they appear, and values under sensitive-looking
// keys (token, key, secret, password, auth, cookie, session, credential) are redacted.
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
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
  const usePretty = !opts.destination && (opts.pretty ?? process.stdout.isTTY);
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
  };
  const destination = opts.destination ?? (usePretty ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination(1));
  return pino(options, scrubbing(destination, secrets));
}

/**
 * The last line of defence: each finished line is scrubbed of known secret values, which also
 * covers child-logger bindings that pino serialises outside the logMethod hook.
 */
function scrubbing(destination: DestinationStream, secrets: SecretRegistry): DestinationStream {
  return { write: (line: string) => destination.write(redactText(line, secrets.list())) };
}
