import { appendFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { replayServerLength, startReplayServer, type ReplayFault, type ReplayRecording } from '@sysmail/test-servers';

/** One server response in a recorded session: its byte span in the server's output and the client phase reading it. */
export interface ResponseSpan {
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
  /** The phase the client is in while it waits for these bytes. */
  phase: string;
  /** True when a TLS upgrade happened right before this response. */
  afterUpgrade: boolean;
}

/** The server's plaintext output of a recording, and the offsets at which TLS upgrades happened. */
export function serverOutput(recording: ReplayRecording): { bytes: Buffer; upgrades: number[] } {
  const parts: Buffer[] = [];
  const upgrades: number[] = [];
  let length = 0;
  for (const step of recording.steps) {
    if (step.type === 'server') {
      parts.push(Buffer.from(step.bytes));
      length += step.bytes.length;
    } else if (step.type === 'tls') {
      upgrades.push(length);
    }
  }
  return { bytes: Buffer.concat(parts), upgrades };
}

/** The client's lines of a recording, in order, without line ends. */
export function clientLines(recording: ReplayRecording): string[] {
  const text = Buffer.concat(recording.steps.flatMap((step) => (step.type === 'client' ? [Buffer.from(step.bytes)] : []))).toString('latin1');
  return text.split('\r\n').slice(0, -1);
}

/** The phase a fault at `offset` must be reported in: the response holding the first byte not sent, or the upgrade before it. */
export function phaseAt(spans: readonly ResponseSpan[], offset: number): string | undefined {
  const span = spans.find((candidate) => candidate.start <= offset && offset < candidate.end);
  if (span === undefined) return undefined;
  return offset === span.start && span.afterUpgrade ? 'upgrade' : span.phase;
}

/**
 * Runs `task` over `items`, at most `concurrency` at a time, starting a new one
 * as soon as one ends; the first wave's starts are spread `staggerMs` apart so
 * their TLS handshakes do not all land on the event loop in the same instant.
 */
export async function inPool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>, staggerMs = 10): Promise<void> {
  let next = 0;
  const worker = async (index: number): Promise<void> => {
    await sleep(index * staggerMs);
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, (_, index) => worker(index)));
}

/** Counts of `process.getActiveResourcesInfo()` by type: sockets, servers, timers. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Waits (up to 3 s: sockets close asynchronously) until no resource type counts more than in `baseline`; throws with the excess otherwise. */
export async function expectResourcesBackTo(baseline: Map<string, number>): Promise<void> {
  let excess: string[] = [];
  for (let attempt = 0; attempt < 300; attempt++) {
    excess = [...activeResources()].filter(([type, count]) => count > (baseline.get(type) ?? 0)).map(([type, count]) => `${type}: ${count} > ${baseline.get(type) ?? 0}`);
    if (excess.length === 0) return;
    await sleep(10);
  }
  throw new Error(`Leaked resources after the batch: ${excess.join(', ')}`);
}

/** The number of open file descriptors of this process (Linux), or undefined elsewhere. */
export function openDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** Collects unhandled rejections while a test runs; `stop()` removes the listener and returns them. */
export function watchUnhandledRejections(): { stop: () => unknown[] } {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', listener);
  return {
    stop() {
      process.off('unhandledRejection', listener);
      return seen;
    },
  };
}

/** How many abort listeners are still registered on a signal: a client must remove its own once done. */
export function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

/** A summary of an error for failure messages and kept transcripts. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const fields = error as Error & { phase?: unknown; transient?: unknown };
  return `${error.name}(phase=${String(fields.phase)}, transient=${String(fields.transient)}): ${error.message}`;
}

/** What a client session against a replay server reports. */
export interface FaultOutcome {
  /** What the session threw, if anything. */
  error: unknown;
}

/**
 * Replays `recording` once per byte offset of the server's output (0 to its
 * length), cut or stalled there, running `session` against each replay, many
 * at a time, with a resource-leak check after each round (every offset of the
 * first round, then the retries); returns what `judge` found wrong, by offset.
 *
 * A stalled run whose client gave up *before* the server reached the stall
 * (a deadline of a few hundred milliseconds fired early because the machine
 * was busy with the rest of the batch) is not a verdict on the stall: such
 * offsets are run again in smaller batches with longer deadlines, and at last
 * one at a time, and judged then.
 */
export async function runFaultMatrix<Outcome extends FaultOutcome>(options: {
  recording: ReplayRecording;
  kind: ReplayFault['kind'];
  /** How many sessions run at a time. */
  batch: number;
  /** Runs one client session; `slack` (1, then 2, then 4 on the retry rounds) multiplies its short deadlines. */
  session: (port: number, slack: number) => Promise<Outcome>;
  judge: (fault: ReplayFault, outcome: Outcome) => string | undefined;
  keep: (fault: ReplayFault, outcome: Outcome) => void;
}): Promise<string[]> {
  const { recording, kind } = options;
  const offsets = Array.from({ length: replayServerLength(recording) + 1 }, (_, i) => i);
  const problems: string[] = [];
  const baseline = activeResources();
  // Fewer sessions at a time on each round, so the last verdicts come from an unloaded loop.
  const rounds = [
    { batch: options.batch, slack: 1 },
    { batch: Math.min(options.batch, 8), slack: 2 },
    { batch: 1, slack: 4 },
  ];
  let pending = offsets;
  for (const [round, { batch, slack }] of rounds.entries()) {
    const again: number[] = [];
    const last = round === rounds.length - 1;
    const runOne = async (offset: number): Promise<void> => {
      const fault: ReplayFault = { kind, offset };
      const server = await startReplayServer({ recording, fault });
      const outcome = await options.session(server.port, slack);
      const reachedFault = server.sessions[0]?.faulted === true;
      await server.close();
      if (kind === 'stall' && !last && !reachedFault && outcome.error !== undefined) {
        again.push(offset);
        return;
      }
      const problem = options.judge(fault, outcome);
      if (problem !== undefined) problems.push(`${kind} at ${offset}: ${problem}`);
      options.keep(fault, outcome);
    };
    await inPool(pending, batch, runOne);
    await expectResourcesBackTo(baseline);
    pending = again;
  }
  return problems;
}

/**
 * Keeps one captured failure — its error and transcript — as evidence for the
 * secret-hygiene checks and SECURITY.md: with `SYSMAIL_HARDENING_EVIDENCE` set
 * to a directory, appends it as a JSON line to `<scenario>.jsonl` there.
 *
 * @param scenario - the file name, e.g. `smtp-starttls-cut`
 * @param entry - what to keep
 */
export function keepEvidence(scenario: string, entry: { fault?: unknown; error: unknown; transcript: readonly unknown[] }): void {
  const directory = process.env.SYSMAIL_HARDENING_EVIDENCE;
  if (directory === undefined || directory === '') return;
  mkdirSync(directory, { recursive: true });
  const line = JSON.stringify({ scenario, fault: entry.fault, error: describeError(entry.error), transcript: entry.transcript });
  appendFileSync(join(directory, `${scenario.replace(/[^A-Za-z0-9_.-]+/g, '-')}.jsonl`), `${line}\n`);
}
