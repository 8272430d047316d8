// Exit codes and the one error type the CLI reports. Scripts branch on the exit code, so each code
// means one thing; the message is always one line (`error: <code>: <message>`), never a stack.

export const EXIT = {
  ok: 0,
  /** The run failed or was cancelled, or a download did not match its recorded checksum. */
  failed: 1,
  /** The command line or the request was wrong: bad flags, validation, auth, not found. */
  usage: 2,
  /** The outcome is unknown: the API could not be reached, answered 5xx, or a wait timed out. */
  unavailable: 3,
  /** Ctrl-C (128 + SIGINT), as shells report it. */
  interrupted: 130,
} as const;

export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Messages come from servers and exceptions; keep them on one line so the error stays one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
