// Structured JSON logs (pino); human-readable when attached to a terminal.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level: string; name?: string; pretty?: boolean }): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY;
  return pino({
    name: opts.name,
    level: opts.level,
    base: { pid: process.pid },
    transport: pretty ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } : undefined,
  });
}
