// What every command needs: the API client built from the global options, the output mode, and the
// streams. Also the option parsers shared by several commands.
import { InvalidArgumentError, type Command } from 'commander';
import { ApiClient } from './api-client.js';
import type { Io } from './types.js';

export interface GlobalOptions {
  apiUrl: string;
  token?: string;
  json?: boolean;
}

export interface Ctx {
  client: ApiClient;
  json: boolean;
  io: Io;
}

export function contextOf(cmd: Command, io: Io): Ctx {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  return { client: new ApiClient({ apiUrl: g.apiUrl, token: g.token || undefined }), json: g.json === true, io };
}

export function write(io: Io, lines: string[]): void {
  if (lines.length) io.out.write(`${lines.join('\n')}\n`);
}

export function writeJson(io: Io, value: unknown): void {
  io.out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Commander parser: a whole number in [min, max] (timeouts, limits). */
export function intIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Commander collector for repeatable options (`--label a --label b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
