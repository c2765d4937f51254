import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  SmtpClient,
  SmtpConnectionError,
  SmtpProtocolError,
  SmtpTimeoutError,
  type SmtpClientOptions,
  type SmtpTimeoutPhase,
} from '@sysmail/smtp-client';
import {
  startFakeSmtpServer,
  startSessionRecorder,
  tlsFixtures,
  type ReplayFault,
  type ReplayRecording,
} from '@sysmail/test-servers';
import type { TranscriptEntry } from '@sysmail/wire';
import {
  abortListeners,
  clientLines,
  describeError,
  keepEvidence,
  phaseAt,
  runFaultMatrix,
  serverOutput,
  watchUnhandledRejections,
  type ResponseSpan,
} from './harness.js';

const PASSWORD = 'replay-secret-9f3a';
const CREDENTIALS = { username: 'app@example.com', password: PASSWORD, mechanism: 'PLAIN' };
const ENVELOPE = { from: 'app@example.com', to: ['a@example.org', 'b@example.org'] };
const MESSAGE = 'Subject: memo\r\n\r\nA phone memo.\r\n';
/**
 * A server that says little: every byte of its output is one more replay, so a
 * short greeting and only the extensions the session uses keep the matrix fast.
 */
export const TERSE_SMTP = {
  hostname: 'f.test',
  greeting: '220 f.test',
  extensions: { size: false, eightBitMime: false, smtputf8: false, enhancedStatusCodes: false },
} as const;
/** Cuts never wait for a deadline, so theirs are long enough for a loaded machine. */
const CUT_TIMEOUTS = 5_000;
/** Stalls must end by the client's deadline; short, so hundreds of offsets stay fast. */
const STALL_TIMEOUTS: Record<SmtpTimeoutPhase, number> = { connect: 5_000, greeting: 500, command: 500, data: 500 };

/** Deadlines multiplied by `slack`, except connect, which never stalls here. */
function scaled(timeouts: Record<SmtpTimeoutPhase, number>, slack: number): Record<SmtpTimeoutPhase, number> {
  return { connect: timeouts.connect, greeting: timeouts.greeting * slack, command: timeouts.command * slack, data: timeouts.data * slack };
}

interface Outcome {
  sent: boolean;
  error: unknown;
  transcript: TranscriptEntry[];
  leftoverAbortListeners: number;
}

/** Plays one client session against a server: connect, AUTH PLAIN, a pipelined send to two recipients, QUIT. */
async function session(port: number, security: SmtpClientOptions['security'], timeouts: SmtpClientOptions['timeouts']): Promise<Outcome> {
  const transcript: TranscriptEntry[] = [];
  const controller = new AbortController();
  let client: SmtpClient | undefined;
  let sent = false;
  let error: unknown;
  try {
    client = await SmtpClient.connect({
      host: '127.0.0.1',
      port,
      security,
      clientName: 'client.example',
      tls: { ca: tlsFixtures.ca },
      timeouts,
      signal: controller.signal,
      onTranscript: (entry) => transcript.push(entry),
    });
    await client.authenticate(CREDENTIALS);
    await client.send(ENVELOPE, MESSAGE);
    sent = true;
    await client.quit();
  } catch (caught) {
    error = caught;
  } finally {
    client?.close();
  }
  return { sent, error, transcript, leftoverAbortListeners: abortListeners(controller.signal) };
}

async function record(security: 'starttls' | 'tls'): Promise<ReplayRecording> {
  const upstream = await startFakeSmtpServer({
    starttls: security === 'starttls',
    implicitTls: security === 'tls',
    auth: { mechanisms: ['PLAIN'], users: { [CREDENTIALS.username]: PASSWORD } },
    ...TERSE_SMTP,
  });
  const recorder = await startSessionRecorder({ upstream, implicitTls: security === 'tls' });
  const outcome = await session(recorder.port, security, CUT_TIMEOUTS);
  await recorder.close();
  await upstream.close();
  expect(outcome.error).toBeUndefined();
  expect(upstream.messages).toHaveLength(1);
  const recording = recorder.recordings[0];
  if (recording === undefined) throw new Error('nothing was recorded');
  return recording;
}

const PHASE_OF_COMMAND: Record<string, string> = { EHLO: 'ehlo', HELO: 'ehlo', STARTTLS: 'starttls', AUTH: 'auth', MAIL: 'mail', RCPT: 'rcpt', DATA: 'data', '.': 'data', QUIT: 'quit' };

/**
 * Pairs every SMTP reply with the command it answers (RFC 5321 replies come in
 * command order, pipelined or not; the greeting answers the connection), and
 * returns each reply's span with the phase the client reads it in. The span
 * of the reply to the final dot is `dataEnd`.
 */
export function smtpSpans(recording: ReplayRecording): { spans: ResponseSpan[]; acknowledgedAt: number } {
  const { bytes, upgrades } = serverOutput(recording);
  const commands: string[] = [];
  let inData = false;
  for (const line of clientLines(recording)) {
    if (inData) {
      if (line === '.') {
        commands.push('.');
        inData = false;
      }
      continue;
    }
    const keyword = line.split(' ', 1)[0]?.toUpperCase() ?? '';
    commands.push(keyword);
    if (keyword === 'DATA') inData = true;
  }
  const spans: ResponseSpan[] = [];
  let start = 0;
  let position = 0;
  let acknowledgedAt = -1;
  while (position < bytes.length) {
    const lf = bytes.indexOf(0x0a, position);
    const line = bytes.subarray(position, lf).toString('latin1');
    position = lf + 1;
    if (line[3] === '-') continue;
    const index = spans.length;
    const command = index === 0 ? 'CONNECT' : (commands[index - 1] ?? '?');
    const phase = index === 0 ? 'greeting' : (PHASE_OF_COMMAND[command] ?? 'auth');
    spans.push({ start, end: position, phase, afterUpgrade: upgrades.includes(start) });
    if (command === '.') acknowledgedAt = position;
    start = position;
  }
  expect(acknowledgedAt).toBeGreaterThan(0);
  return { spans, acknowledgedAt };
}

/**
 * Records a good session (connect, AUTH PLAIN, a pipelined send to two
 * recipients, QUIT), then replays it cut and stalled at every byte offset.
 *
 * @param security - `starttls` (upgrade in the middle) or `tls` (implicit)
 */
export function describeSmtpByteFaults(security: 'starttls' | 'tls'): void {
  const title = security === 'starttls' ? 'STARTTLS + AUTH PLAIN + pipelined send' : 'implicit TLS + AUTH PLAIN + pipelined send';
  describe(`SMTP ${title}, faulted at every byte of the server output`, () => {
    let recording: ReplayRecording;
    let spans: ResponseSpan[];
    let acknowledgedAt: number;
    let watcher: ReturnType<typeof watchUnhandledRejections>;
    /** Every failure's transcript and error, kept for the secret-hygiene checks and for debugging. */
    const kept: { fault: ReplayFault; outcome: Outcome }[] = [];

    beforeAll(async () => {
      watcher = watchUnhandledRejections();
      recording = await record(security);
      ({ spans, acknowledgedAt } = smtpSpans(recording));
    });

    afterAll(() => {
      expect(watcher.stop()).toEqual([]);
    });

    test('the recording holds the whole session, TLS upgrade included', () => {
      const output = serverOutput(recording).bytes.toString('latin1');
      expect(output).toMatch(/^220 /);
      expect(output).toContain('\r\n354 ');
      expect(output).toMatch(/221 [^\r]*\r\n$/);
      expect(recording.steps.some((step) => step.type === 'tls')).toBe(security === 'starttls');
      expect(spans.map((span) => span.phase)).toEqual(
        security === 'starttls'
          ? ['greeting', 'ehlo', 'starttls', 'ehlo', 'auth', 'mail', 'rcpt', 'rcpt', 'data', 'data', 'quit']
          : ['greeting', 'ehlo', 'auth', 'mail', 'rcpt', 'rcpt', 'data', 'data', 'quit'],
      );
    });

    test.each([
      ['cut', 16, CUT_TIMEOUTS],
      ['stall', 40, STALL_TIMEOUTS],
    ] as const)('%s: the right typed error at every offset, never "sent" unless acknowledged, nothing leaked', async (kind, batch, timeouts) => {
      const problems = await runFaultMatrix({
        recording,
        kind,
        batch,
        session: (port, slack) => session(port, security, typeof timeouts === 'number' ? timeouts : scaled(timeouts, slack)),
        judge,
        keep: (fault, outcome) => {
          if (outcome.error === undefined) return;
        kept.push({ fault, outcome });
        keepEvidence(`smtp-${security}-${kind}`, { fault, error: outcome.error, transcript: outcome.transcript });
        },
      });
      expect(problems).toEqual([]);
      // Every offset before the acknowledgement failed, and no transcript or error carries the password.
      expect(kept.filter((entry) => entry.fault.kind === kind)).toHaveLength(acknowledgedAt);
      for (const { outcome } of kept) {
        expect(JSON.stringify(outcome.transcript)).not.toContain(PASSWORD);
        expect(describeError(outcome.error)).not.toContain(PASSWORD);
      }
    }, 90_000);

    /** What is wrong with an outcome, or undefined when it is right. */
    function judge(fault: ReplayFault, outcome: Outcome): string | undefined {
      if (outcome.leftoverAbortListeners !== 0) return `${outcome.leftoverAbortListeners} abort listener(s) left on the signal`;
      if (fault.offset >= acknowledgedAt) {
        // The message was acknowledged; a fault during QUIT must not turn that into an error.
        return outcome.sent && outcome.error === undefined ? undefined : `expected success, got ${describeError(outcome.error)}`;
      }
      if (outcome.sent) return 'the caller was told "sent" for a message the server never acknowledged';
      const expected = phaseAt(spans, fault.offset);
      const phase = expected === 'upgrade' ? 'starttls' : expected;
      const error = outcome.error;
      if (!(error instanceof SmtpConnectionError || error instanceof SmtpProtocolError)) return `unexpected ${describeError(error)}`;
      if (error.phase !== phase) return `expected phase ${String(phase)}, got ${describeError(error)}`;
      if (fault.kind === 'stall') {
        return error instanceof SmtpTimeoutError && error.transient ? undefined : `expected a transient SmtpTimeoutError, got ${describeError(error)}`;
      }
      if (error instanceof SmtpTimeoutError) return `a cut must not wait for a deadline: ${describeError(error)}`;
      if (!error.transient) return `a cut connection is transient: ${describeError(error)}`;
      return undefined;
    }
  });
}
