import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Pop3Client,
  Pop3ConnectionError,
  Pop3ProtocolError,
  Pop3TimeoutError,
  type Pop3ConnectOptions,
  type Pop3Security,
  type Pop3TimeoutPhase,
} from '@sysmail/pop3-client';
import { startFakePop3Server, startSessionRecorder, tlsFixtures, type ReplayFault, type ReplayRecording } from '@sysmail/test-servers';
import type { TranscriptEntry } from '@sysmail/wire';
import { abortListeners, describeError, keepEvidence, phaseAt, runFaultMatrix, serverOutput, watchUnhandledRejections, type ResponseSpan } from './harness.js';

const USER = 'app';
const PASSWORD = 'replay-secret-7c2e';
const MESSAGE = 'Subject: memo\r\n\r\nA phone memo.\r\n.dotted line\r\n';
const CUT_TIMEOUTS = 5_000;
const STALL_TIMEOUTS: Record<Pop3TimeoutPhase, number> = { connect: 5_000, greeting: 500, command: 500, data: 500 };

/** Deadlines multiplied by `slack`, except connect, which never stalls here. */
function scaled(timeouts: Record<Pop3TimeoutPhase, number>, slack: number): Record<Pop3TimeoutPhase, number> {
  return { connect: timeouts.connect, greeting: timeouts.greeting * slack, command: timeouts.command * slack, data: timeouts.data * slack };
}

interface Outcome {
  /** The result of the session's mailbox operation (RETR's message, or STAT's count), when it resolved. */
  result: string | undefined;
  error: unknown;
  transcript: TranscriptEntry[];
  leftoverAbortListeners: number;
}

/** One session flavour: how the client logs in and what it does, and what each server response is for. */
interface Flavour {
  security: Pop3Security;
  server: Parameters<typeof startFakePop3Server>[0];
  act: (client: Pop3Client) => Promise<string>;
  /** The expected result of `act`. */
  result: string;
  /** One entry per server response, greeting first: the phase the client reads it in, and whether it is multi-line. */
  responses: { phase: string; multi: boolean }[];
}

const FLAVOURS: [string, Flavour][] = [
  [
    'APOP + RETR',
    {
      security: 'none',
      server: { hostname: 'p.test', users: { [USER]: PASSWORD }, mailbox: [MESSAGE] },
      act: async (client) => {
        await client.login({ username: USER, password: PASSWORD, method: 'apop' });
        return Buffer.from(await client.retrieve(1)).toString('latin1');
      },
      result: MESSAGE,
      responses: [
        { phase: 'greeting', multi: false },
        { phase: 'auth', multi: false },
        { phase: 'retrieve', multi: true },
        { phase: 'quit', multi: false },
      ],
    },
  ],
  [
    'STLS + SASL CRAM-MD5 + STAT',
    {
      security: 'starttls',
      server: { hostname: 'p.test', stls: true, saslMechanisms: ['CRAM-MD5'], users: { [USER]: PASSWORD }, mailbox: [MESSAGE] },
      act: async (client) => {
        await client.login({ username: USER, password: PASSWORD, method: 'sasl', mechanism: 'CRAM-MD5' });
        return JSON.stringify(await client.stat());
      },
      result: JSON.stringify({ count: 1, size: MESSAGE.length }),
      responses: [
        { phase: 'greeting', multi: false },
        { phase: 'stls', multi: true },
        { phase: 'stls', multi: false },
        { phase: 'auth', multi: true },
        { phase: 'auth', multi: false },
        { phase: 'auth', multi: false },
        { phase: 'command', multi: false },
        { phase: 'quit', multi: false },
      ],
    },
  ],
];

async function session(flavour: Flavour, port: number, timeouts: Pop3ConnectOptions['timeouts']): Promise<Outcome> {
  const transcript: TranscriptEntry[] = [];
  const controller = new AbortController();
  let client: Pop3Client | undefined;
  let result: string | undefined;
  let error: unknown;
  try {
    client = await Pop3Client.connect({
      host: '127.0.0.1',
      port,
      security: flavour.security,
      tls: { ca: tlsFixtures.ca },
      timeouts,
      signal: controller.signal,
      onTranscript: (entry) => transcript.push(entry),
    });
    result = await flavour.act(client);
    await client.quit();
  } catch (caught) {
    error = caught;
  } finally {
    await client?.close();
  }
  return { result, error, transcript, leftoverAbortListeners: abortListeners(controller.signal) };
}

/** Splits the server output into responses (a status line, and for a multi-line `+OK` its body up to `.CRLF`). */
function pop3Spans(recording: ReplayRecording, responses: Flavour['responses']): ResponseSpan[] {
  const { bytes, upgrades } = serverOutput(recording);
  const spans: ResponseSpan[] = [];
  let position = 0;
  for (const { phase, multi } of responses) {
    const start = position;
    const statusEnd = bytes.indexOf(0x0a, position) + 1;
    position = statusEnd;
    if (multi && bytes.subarray(start, start + 3).toString('latin1') === '+OK') {
      let terminator = position;
      while (bytes.subarray(terminator, terminator + 3).toString('latin1') !== '.\r\n') terminator = bytes.indexOf(0x0a, terminator) + 1;
      position = terminator + 3;
    }
    spans.push({ start, end: position, phase, afterUpgrade: upgrades.includes(start) });
  }
  expect(position).toBe(bytes.length);
  return spans;
}

/**
 * Records a good session of one flavour, then replays it cut and stalled at every byte offset.
 *
 * @param name - which flavour
 */
export function describePop3ByteFaults(name: 'APOP + RETR' | 'STLS + SASL CRAM-MD5 + STAT'): void {
  const flavour = FLAVOURS.find(([candidate]) => candidate === name)?.[1] as Flavour;
  describe(`POP3 ${name}, faulted at every byte of the server output`, () => {
    let recording: ReplayRecording;
    let spans: ResponseSpan[];
    let watcher: ReturnType<typeof watchUnhandledRejections>;
    const kept: { fault: ReplayFault; outcome: Outcome }[] = [];

    beforeAll(async () => {
      watcher = watchUnhandledRejections();
      const upstream = await startFakePop3Server(flavour.server);
      const recorder = await startSessionRecorder({ upstream });
      const outcome = await session(flavour, recorder.port, CUT_TIMEOUTS);
      await recorder.close();
      await upstream.close();
      expect(outcome.error).toBeUndefined();
      expect(outcome.result).toBe(flavour.result);
      const recorded = recorder.recordings[0];
      if (recorded === undefined) throw new Error('nothing was recorded');
      recording = recorded;
      spans = pop3Spans(recording, flavour.responses);
    });

    afterAll(() => {
      expect(watcher.stop()).toEqual([]);
    });

    test('the recording holds the whole session', () => {
      expect(recording.steps.some((step) => step.type === 'tls')).toBe(flavour.security === 'starttls');
      expect(serverOutput(recording).bytes.toString('latin1')).toMatch(/^\+OK/);
    });

    test.each([
      ['cut', 16, CUT_TIMEOUTS],
      ['stall', 40, STALL_TIMEOUTS],
    ] as const)('%s: the right typed error at every offset, never a truncated result, nothing leaked', async (kind, batch, timeouts) => {
      const problems = await runFaultMatrix({
        recording,
        kind,
        batch,
        session: (port, slack) => session(flavour, port, typeof timeouts === 'number' ? timeouts : scaled(timeouts, slack)),
        judge,
        keep: (fault, outcome) => {
          if (outcome.error === undefined) return;
        kept.push({ fault, outcome });
        keepEvidence(`pop3-${flavour.security}-${kind}`, { fault, error: outcome.error, transcript: outcome.transcript });
        },
      });
      expect(problems).toEqual([]);
      for (const { outcome } of kept) {
        expect(JSON.stringify(outcome.transcript)).not.toContain(PASSWORD);
        expect(describeError(outcome.error)).not.toContain(PASSWORD);
      }
    }, 90_000);

    function judge(fault: ReplayFault, outcome: Outcome): string | undefined {
      if (outcome.leftoverAbortListeners !== 0) return `${outcome.leftoverAbortListeners} abort listener(s) left on the signal`;
      if (outcome.result !== undefined && outcome.result !== flavour.result) return `a wrong result was returned: ${JSON.stringify(outcome.result)}`;
      const lastSpan = spans[spans.length - 1] as ResponseSpan;
      const delivered = spans[spans.length - 2] as ResponseSpan;
      if (fault.offset < delivered.end && outcome.result !== undefined) return 'a result was returned before its response was complete';
      if (fault.offset >= lastSpan.end) return outcome.error === undefined ? undefined : `expected success, got ${describeError(outcome.error)}`;
      const expected = phaseAt(spans, fault.offset);
      const phase = expected === 'upgrade' ? 'stls' : expected;
      const error = outcome.error;
      if (!(error instanceof Pop3ConnectionError || error instanceof Pop3ProtocolError || error instanceof Pop3TimeoutError)) return `unexpected ${describeError(error)}`;
      if (error.phase !== phase) return `expected phase ${String(phase)}, got ${describeError(error)}`;
      if (!error.transient) return `expected a transient error, got ${describeError(error)}`;
      if (fault.kind === 'stall') return error instanceof Pop3TimeoutError ? undefined : `expected a Pop3TimeoutError, got ${describeError(error)}`;
      return error instanceof Pop3TimeoutError ? `a cut must not wait for a deadline: ${describeError(error)}` : undefined;
    }
  });
}
