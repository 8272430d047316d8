// The live display of a followed run. A tracker turns successive snapshots of the run into the
// changes worth telling (a phase attempt started or ended, the run's status moved); a reporter shows
// them: a progress bar with lines above it on a terminal, plain lines otherwise (CI logs, pipes and
// the tests read those, so they carry everything the bar shows).
import cliProgress from 'cli-progress';
import { phaseLine } from './format.js';
import { EXPECTED_PHASES, type Io, type PhaseRow, type RunDetail } from './types.js';

const ENDED = new Set<PhaseRow['status']>(['succeeded', 'failed', 'skipped']);

export class PhaseTracker {
  /** Last status told per phase attempt; polling can skip `running` of a fast phase, never its end. */
  private told = new Map<string, string>();

  /** `runStatus`: a status the operator has already been shown (`run` prints the accepted one). */
  constructor(private runStatus?: string) {}

  /** Lines for what changed since the previous snapshot, in the order the phases ran. */
  changes(run: RunDetail): string[] {
    const lines: string[] = [];
    if (run.status !== this.runStatus) {
      this.runStatus = run.status;
      // Terminal statuses are told by the summary that follows, with the error.
      if (run.status === 'queued' || run.status === 'in_progress') lines.push(`status: ${run.status}`);
    }
    for (const row of run.phases) {
      const key = `${row.phase}#${row.attempt}`;
      if (this.told.get(key) === row.status) continue;
      this.told.set(key, row.status);
      lines.push(phaseLine(row));
    }
    return lines;
  }
}

/** Expected phases whose latest attempt has ended, and the phase to show next to the bar. */
export function progressOf(run: RunDetail): { done: number; current: string } {
  const latest = new Map<string, PhaseRow>();
  for (const row of run.phases) {
    const seen = latest.get(row.phase);
    if (!seen || row.attempt >= seen.attempt) latest.set(row.phase, row);
  }
  const done = EXPECTED_PHASES.filter((p) => ENDED.has(latest.get(p)?.status ?? 'pending')).length;
  return { done, current: run.currentPhase ?? run.status };
}

export interface Reporter {
  update(run: RunDetail): void;
  /** Leaves the terminal clean for the summary; `completed` fills the bar. */
  stop(completed: boolean): void;
  /** A note about the follow itself (API unreachable, retrying). */
  note(line: string): void;
}

export function createReporter(stream: Io['out'], { tty = stream.isTTY === true, shownStatus }: { tty?: boolean; shownStatus?: string } = {}): Reporter {
  const tracker = new PhaseTracker(shownStatus);
  return tty ? new BarReporter(stream, tracker) : new LineReporter(stream, tracker);
}

class LineReporter implements Reporter {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly tracker: PhaseTracker,
  ) {}
  update(run: RunDetail) {
    for (const line of this.tracker.changes(run)) this.stream.write(`${line}\n`);
  }
  stop() {}
  note(line: string) {
    this.stream.write(`${line}\n`);
  }
}

class BarReporter implements Reporter {
  private multi: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar;

  constructor(
    stream: NodeJS.WritableStream,
    private readonly tracker: PhaseTracker,
  ) {
    this.multi = new cliProgress.MultiBar(
      {
        stream: stream as NodeJS.WritableStream & { isTTY: true },
        format: ' {bar} {value}/{total} phases | {current}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        // Redraws also come from a timer; keep them cheap and the phase lines above stable.
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(EXPECTED_PHASES.length, 0, { current: 'queued' });
  }

  update(run: RunDetail) {
    // Lines go through the bar so they land above it instead of tearing it.
    for (const line of this.tracker.changes(run)) this.multi.log(`${line}\n`);
    const { done, current } = progressOf(run);
    this.bar.update(done, { current });
    // Logged lines wait in a buffer for the next timed redraw; draw now so none is lost or late.
    this.multi.update();
  }

  stop(completed: boolean) {
    if (completed) this.bar.update(EXPECTED_PHASES.length, { current: 'done' });
    this.multi.stop();
  }

  note(line: string) {
    this.multi.log(`${line}\n`);
    this.multi.update();
  }
}
