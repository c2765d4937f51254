import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { SmtpArgumentError, SmtpConnectionError, SmtpReplyError, type SmtpSendResult } from '../src/index.js';
import { connectTo, failure, fakeServer, text, transcriptSink } from './helpers.js';

/** PIPELINING and CHUNKING: what lets sends share round trips. */
const extensions = { pipelining: true, chunking: true };

type Outcome = { result: SmtpSendResult } | { error: unknown };
const settle = (promise: Promise<SmtpSendResult>): Promise<Outcome> =>
  promise.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );

describe('sends called together (pipelined across transactions)', () => {
  test('go out before any reply is read, and each gets exactly its own result', async () => {
    const server = await fakeServer({
      extensions,
      script: [
        { command: 'MAIL', match: '<refused@example.com>', reply: '550 5.7.1 Sender refused' },
        { command: 'RCPT', match: '<bad@example.org>', reply: '550 5.1.1 No such user' },
      ],
    });
    const transcript = transcriptSink();
    const client = await connectTo(server, { onTranscript: transcript.onTranscript });
    // The first accepted MAIL of the session lets later content go ahead of its replies.
    await client.send({ from: 'app@example.com', to: ['z@example.org'] }, 'Subject: 0\r\n\r\nzero\r\n');
    const batchStart = transcript.entries.length;
    const outcomes = await Promise.all([
      settle(client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'Subject: 1\r\n\r\none\r\n')),
      settle(client.send({ from: 'app@example.com', to: ['b@example.org', 'bad@example.org'] }, 'Subject: 2\r\n\r\ntwo\r\n')),
      settle(client.send({ from: 'app@example.com', to: ['bad@example.org'] }, 'Subject: 3\r\n\r\nthree\r\n')),
      settle(client.send({ from: 'refused@example.com', to: ['c@example.org'] }, 'Subject: 4\r\n\r\nfour\r\n')),
      settle(client.send({ from: 'app@example.com', to: ['d@example.org'] }, 'Subject: 5\r\n\r\nfive\n')),
    ]);

    const [first, partial, noRecipient, noSender, last] = outcomes;
    expect(first).toMatchObject({ result: { accepted: ['a@example.org'], rejected: [], reply: { code: 250 } } });
    expect(partial).toMatchObject({ result: { accepted: ['b@example.org'], rejected: [{ address: 'bad@example.org', reply: { code: 550, enhancedCode: '5.1.1' } }] } });
    expect(noRecipient).toMatchObject({ error: { phase: 'rcpt', reply: { code: 550 } } });
    expect((noRecipient as { error: unknown }).error).toBeInstanceOf(SmtpReplyError);
    expect(noSender).toMatchObject({ error: { phase: 'mail', reply: { code: 550, enhancedCode: '5.7.1' } } });
    expect(last).toMatchObject({ result: { accepted: ['d@example.org'] } });

    expect(server.messages.slice(1).map((message) => text(message.content))).toEqual(['Subject: 1\r\n\r\none\r\n', 'Subject: 2\r\n\r\ntwo\r\n', 'Subject: 5\r\n\r\nfive\r\n']);
    expect(server.messages.slice(1).map((message) => message.recipients)).toEqual([['a@example.org'], ['b@example.org'], ['d@example.org']]);
    // Every transaction was written before the first reply to any of them was read; each one behind another starts with RSET.
    const lines = transcript.entries.slice(batchStart).map((entry) => `${entry.direction}: ${entry.text}`);
    const firstMail = lines.findIndex((line) => line.startsWith('client: MAIL FROM'));
    const firstAnswer = lines.findIndex((line, index) => index > firstMail && line.startsWith('server: '));
    expect(lines.slice(firstMail, firstAnswer).filter((line) => line.startsWith('client: MAIL FROM'))).toHaveLength(5);
    expect(lines.filter((line) => line === 'client: RSET')).toHaveLength(4);
    await client.quit();
  });

  test('before a MAIL is accepted in the session, no content goes ahead of the envelope replies', async () => {
    // Postfix answers 530 to every command before STARTTLS, BDAT included, and reads its chunk as commands.
    const server = await fakeServer({ extensions, script: [{ command: 'MAIL', reply: '530 5.7.0 Must issue a STARTTLS command first', times: 1 }] });
    const client = await connectTo(server);
    const [refused, first, second] = await Promise.all([
      settle(client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'RCPT TO:<smuggled@example.org>\r\n')),
      settle(client.send({ from: 'app@example.com', to: ['b@example.org'] }, 'two\r\n')),
      settle(client.send({ from: 'app@example.com', to: ['c@example.org'] }, 'three\r\n')),
    ]);
    expect(refused).toMatchObject({ error: { phase: 'mail', reply: { code: 530 } } });
    expect(first).toMatchObject({ result: { accepted: ['b@example.org'] } });
    expect(second).toMatchObject({ result: { accepted: ['c@example.org'] } });
    const commands = server.sessions[0]?.commands ?? [];
    const secondMail = commands.findIndex((command, index) => index > commands.findIndex((c) => c.startsWith('MAIL')) && command.startsWith('MAIL'));
    expect(commands.slice(0, secondMail).some((command) => command.startsWith('BDAT'))).toBe(false);
    expect(server.messages.map((message) => text(message.content))).toEqual(['two\r\n', 'three\r\n']);
  });

  test('an invalid envelope fails only its own send, before anything of it is written', async () => {
    const server = await fakeServer({ extensions });
    const client = await connectTo(server);
    const [good, bad, after] = await Promise.all([
      settle(client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'one\r\n')),
      settle(client.send({ from: 'app@example.com', to: ['no-at-sign'] }, 'two\r\n')),
      settle(client.send({ from: 'app@example.com', to: ['b@example.org'] }, 'three\r\n')),
    ]);
    expect(good).toMatchObject({ result: { accepted: ['a@example.org'] } });
    expect((bad as { error: unknown }).error).toBeInstanceOf(SmtpArgumentError);
    expect(after).toMatchObject({ result: { accepted: ['b@example.org'] } });
    expect(server.messages.map((message) => text(message.content))).toEqual(['one\r\n', 'three\r\n']);
  });

  test('a failed transaction with nothing behind it is reset before the send fails, and the session goes on', async () => {
    const server = await fakeServer({ extensions, script: [{ command: 'BDAT', reply: '554 5.6.0 Content refused', times: 1 }] });
    const client = await connectTo(server);
    const error = await failure(client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'x\r\n'));
    expect(error.phase).toBe('data');
    expect(server.sessions[0]?.commands.at(-1)).toBe('RSET');
    await client.authenticate({ username: 'u', password: 'p' }).catch(() => undefined);
    const result = await client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'y\r\n');
    expect(result.accepted).toEqual(['a@example.org']);
    expect(server.messages).toHaveLength(1);
  });

  test('a connection lost mid-batch fails every send in flight with a connection error, none hangs', async () => {
    const server = await fakeServer({ extensions, script: [{ command: 'MAIL', match: '<second@example.com>', action: 'close' }] });
    const client = await connectTo(server);
    const outcomes = await Promise.all(
      ['first', 'second', 'third'].map((name) => settle(client.send({ from: `${name}@example.com`, to: ['a@example.org'] }, `${name}\r\n`))),
    );
    expect(outcomes[0]).toMatchObject({ result: { accepted: ['a@example.org'] } });
    expect((outcomes[1] as { error: unknown }).error).toBeInstanceOf(SmtpConnectionError);
    expect((outcomes[2] as { error: unknown }).error).toBeInstanceOf(SmtpConnectionError);
    expect(client.closed).toBe(true);
    expect((await failure(client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'late\r\n'))).phase).toBe('mail');
  });

  test('a connection lost while a batch larger than the socket takes is still being written fails every send, also those not encoded yet; none hangs', async () => {
    const server = await fakeServer({ extensions, script: [{ command: 'MAIL', match: '<third@example.com>', action: 'close' }] });
    const client = await connectTo(server);
    // 16 MiB: the writing is still going on when the server closes.
    const body = `${'x'.repeat(62)}\r\n`.repeat(256);
    const names = ['first', 'second', 'third', ...Array.from({ length: 1000 }, (_, i) => `later${i}`)];
    const outcomes = await Promise.all(names.map((name) => settle(client.send({ from: `${name}@example.com`, to: ['a@example.org'] }, body))));
    expect(outcomes[0]).toMatchObject({ result: { accepted: ['a@example.org'] } });
    // The second went through, and its replies arrived before the connection was lost: its send reports it delivered.
    expect(outcomes[1]).toMatchObject({ result: { accepted: ['a@example.org'] } });
    for (const outcome of outcomes.slice(2)) expect((outcome as { error: unknown }).error).toBeInstanceOf(SmtpConnectionError);
    expect(server.messages).toHaveLength(2);
    expect(client.closed).toBe(true);
  });

  test('a streamed message goes in pipelined BDAT chunks and arrives intact', async () => {
    const server = await fakeServer({ extensions, maxMessageSize: 8 * 1024 * 1024 });
    const client = await connectTo(server);
    const line = Buffer.from(`${'x'.repeat(62)}\r\n`);
    const piece = Buffer.concat(Array.from({ length: 8192 }, () => line));
    const result = await client.send({ from: 'app@example.com', to: ['a@example.org'] }, Readable.from([piece, piece, piece]));
    expect(result.reply.code).toBe(250);
    expect(Buffer.from(server.messages[0]?.content ?? []).equals(Buffer.concat([piece, piece, piece]))).toBe(true);
    expect(server.sessions[0]?.commands.filter((command) => command.startsWith('BDAT'))).toHaveLength(2);
  });

  test('a refused streamed chunk stops the stream, fails the send and resets', async () => {
    const server = await fakeServer({ extensions, script: [{ command: 'BDAT', reply: '552 5.3.4 Too big', times: 1 }] });
    const client = await connectTo(server);
    const piece = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const error = await failure(client.send({ from: 'app@example.com', to: ['a@example.org'] }, Readable.from([piece, piece])));
    expect(error.phase).toBe('data');
    expect(server.sessions[0]?.commands).toContain('RSET');
    expect((await client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'small\r\n')).accepted).toEqual(['a@example.org']);
  });
});
