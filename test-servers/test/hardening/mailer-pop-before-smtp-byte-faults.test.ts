import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSystemMailer, openSettingsStore, SystemMailDeliveryError, type SettingsStore, type SystemMailTranscriptEntry } from '@sysmail/system-mail';
import {
  replayServerLength,
  startFakePop3Server,
  startFakeSmtpServer,
  startReplayServer,
  startSessionRecorder,
  tlsFixtures,
  type ReplayFault,
  type ReplayRecording,
} from '@sysmail/test-servers';
import { activeResources, describeError, expectResourcesBackTo, inPool, keepEvidence, phaseAt, watchUnhandledRejections, type ResponseSpan } from './harness.js';
import { smtpSpans, TERSE_SMTP } from './smtp-byte-faults.js';

const KEY = Buffer.alloc(32, 9).toString('base64');
const POP_USER = 'popper';
const POP_PASSWORD = 'pop-replay-secret-66a1';
const CLOCK = Date.UTC(2026, 0, 5, 9, 30);
const NOTIFICATION = { to: ['a@example.org', 'b@example.org'], subject: '電話メモ', text: 'Please call back.', category: 'phone-memo' };

interface Outcome {
  sent: boolean;
  error: unknown;
  transcript: SystemMailTranscriptEntry[];
}

let directory: string;
let runs = 0;
/** Stores not in use: each concurrent delivery takes one and saves its own ports into it. */
const spareStores: SettingsStore[] = [];

/**
 * One delivery through the system-mail mailer with POP before SMTP: POP3 APOP
 * (no password on the wire, so no TLS needed), QUIT, no wait, then SMTP with
 * STARTTLS, no AUTH.
 * Settings allow no timeout below 10 s, so only cuts (which need no deadline)
 * are run here; stalls are covered per client with short deadlines.
 */
async function deliver(popPort: number, smtpPort: number): Promise<Outcome> {
  const store = spareStores.pop() ?? (await openSettingsStore({ path: join(directory, `store-${runs++}.json`), key: KEY }));
  try {
    return await deliverWith(store, popPort, smtpPort);
  } finally {
    spareStores.push(store);
  }
}

async function deliverWith(store: SettingsStore, popPort: number, smtpPort: number): Promise<Outcome> {
  const saved = await store.saveSettings({
    use: true,
    address: 'notify@example.com',
    server: {
      type: 'dedicated',
      oauth: { enabled: false },
      smtp: { host: '127.0.0.1', port: smtpPort, encryption: 'starttls', timeoutSeconds: 10 },
      auth: {
        method: 'pop-before-smtp',
        waitSeconds: 0,
        pop: { host: '127.0.0.1', port: popPort, tls: false, apop: true, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      },
    },
  });
  expect(saved.ok).toBe(true);
  const transcript: SystemMailTranscriptEntry[] = [];
  const mailer = createSystemMailer({
    store,
    clock: () => CLOCK,
    sleep: async () => undefined,
    tls: { ca: tlsFixtures.ca },
    clientName: 'client.example',
    onTranscript: (entry) => transcript.push(entry),
  });
  try {
    await mailer.send(NOTIFICATION);
    return { sent: true, error: undefined, transcript };
  } catch (error) {
    return { sent: false, error, transcript };
  }
}

describe('system-mail POP before SMTP delivery, cut at every byte of either server', () => {
  let pop: ReplayRecording;
  let smtp: ReplayRecording;
  let spans: ResponseSpan[];
  let acknowledgedAt: number;
  let watcher: ReturnType<typeof watchUnhandledRejections>;

  beforeAll(async () => {
    watcher = watchUnhandledRejections();
    directory = await mkdtemp(join(tmpdir(), 'sysmail-hardening-'));
    const popServer = await startFakePop3Server({ hostname: 'p.test', apop: true, users: { [POP_USER]: POP_PASSWORD } });
    const smtpServer = await startFakeSmtpServer({ starttls: true, ...TERSE_SMTP });
    const popRecorder = await startSessionRecorder({ upstream: popServer });
    const smtpRecorder = await startSessionRecorder({ upstream: smtpServer });
    const outcome = await deliver(popRecorder.port, smtpRecorder.port);
    await Promise.all([popRecorder.close(), smtpRecorder.close()]);
    await Promise.all([popServer.close(), smtpServer.close()]);
    expect(outcome.error).toBeUndefined();
    expect(smtpServer.messages).toHaveLength(1);
    pop = popRecorder.recordings[0] as ReplayRecording;
    smtp = smtpRecorder.recordings[0] as ReplayRecording;
    ({ spans, acknowledgedAt } = smtpSpans(smtp));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
    expect(watcher.stop()).toEqual([]);
  });

  test.each([['POP3', 'pop'] as const, ['SMTP', 'smtp'] as const])('%s cut: the right delivery error at every offset, never "sent" unless acknowledged, nothing leaked', async (_, which) => {
    const recording = which === 'pop' ? pop : smtp;
    const offsets = Array.from({ length: replayServerLength(recording) + 1 }, (_, i) => i);
    const problems: string[] = [];
    const baseline = activeResources();
    await inPool(offsets, 12, async (offset) => {
      const fault: ReplayFault = { kind: 'cut', offset };
      const popReplay = await startReplayServer({ recording: pop, ...(which === 'pop' ? { fault } : {}) });
      const smtpReplay = await startReplayServer({ recording: smtp, ...(which === 'smtp' ? { fault } : {}) });
      const outcome = await deliver(popReplay.port, smtpReplay.port);
      await Promise.all([popReplay.close(), smtpReplay.close()]);
      const problem = judge(which, offset, outcome);
      if (problem !== undefined) problems.push(`offset ${offset}: ${problem}`);
      if (outcome.error !== undefined) keepEvidence(`mailer-pop-before-smtp-${which}-cut`, { fault, error: outcome.error, transcript: outcome.transcript });
      expect(JSON.stringify(outcome.transcript)).not.toContain(POP_PASSWORD);
      expect(describeError(outcome.error)).not.toContain(POP_PASSWORD);
    });
    await expectResourcesBackTo(baseline);
    expect(problems).toEqual([]);
  }, 120_000);

  function judge(which: 'pop' | 'smtp', offset: number, outcome: Outcome): string | undefined {
    const complete = which === 'pop' ? offset >= replayServerLength(pop) : offset >= acknowledgedAt;
    if (complete) return outcome.sent ? undefined : `expected success, got ${describeError(outcome.error)}`;
    if (outcome.sent) return 'the caller was told "sent" for a message the server never acknowledged';
    const error = outcome.error;
    if (!(error instanceof SystemMailDeliveryError)) return `unexpected ${describeError(error)}`;
    const expected = which === 'pop' ? 'pop-before-smtp' : phaseAt(spans, offset) === 'upgrade' ? 'starttls' : phaseAt(spans, offset);
    if (error.phase !== expected) return `expected phase ${String(expected)}, got ${describeError(error)}`;
    return error.transient ? undefined : `a cut connection is transient: ${describeError(error)}`;
  }
});
