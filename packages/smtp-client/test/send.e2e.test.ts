import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { SmtpCapabilityError, SmtpConnectionError, SmtpReplyError, SmtpArgumentError } from '../src/index.js';
import { connectTo, failure, fakeServer, text, transcriptSink } from './helpers.js';

const envelope = { from: 'app@example.com', to: ['a@example.org'] };

describe('send', () => {
  test('pipelines MAIL, every RCPT and DATA in one write when PIPELINING is offered', async () => {
    const server = await fakeServer();
    const client = await connectTo(server);
    await client.send({ from: 'app@example.com', to: ['a@example.org', 'b@example.org', 'c@example.org'] }, 'x');
    expect(server.sessions[0]?.batches).toContainEqual(['MAIL FROM:<app@example.com> SIZE=3', 'RCPT TO:<a@example.org>', 'RCPT TO:<b@example.org>', 'RCPT TO:<c@example.org>', 'DATA']);
  });

  test('sends one command at a time without PIPELINING', async () => {
    const server = await fakeServer({ extensions: { pipelining: false } });
    const client = await connectTo(server);
    await client.send({ from: 'app@example.com', to: ['a@example.org', 'b@example.org'] }, 'x');
    expect(server.sessions[0]?.batches.every((batch) => batch.length === 1)).toBe(true);
  });

  test('reports refused recipients while the others get the message', async () => {
    const server = await fakeServer({ script: [{ command: 'RCPT', match: '<bad@example.org>', reply: '550 5.1.1 No such user' }] });
    const client = await connectTo(server);
    const result = await client.send({ from: 'app@example.com', to: ['a@example.org', 'bad@example.org', 'c@example.org'] }, 'x');
    expect(result.accepted).toEqual(['a@example.org', 'c@example.org']);
    expect(result.rejected).toEqual([{ address: 'bad@example.org', reply: { code: 550, enhancedCode: '5.1.1', lines: ['No such user'], text: 'No such user' } }]);
    expect(server.messages[0]?.recipients).toEqual(['a@example.org', 'c@example.org']);
  });

  test.each([true, false])('fails in phase rcpt when every recipient is refused, then resets and stays usable (pipelining %s)', async (pipelining) => {
    const server = await fakeServer({ extensions: { pipelining }, script: [{ command: 'RCPT', match: 'bad', reply: '550 5.1.1 No such user' }] });
    const client = await connectTo(server);
    const error = await failure(client.send({ from: 'app@example.com', to: ['bad1@example.org', 'bad2@example.org'] }, 'x'));
    expect(error).toBeInstanceOf(SmtpReplyError);
    expect(error.phase).toBe('rcpt');
    expect((error as SmtpReplyError).rejectedRecipients.map((r) => r.address)).toEqual(['bad1@example.org', 'bad2@example.org']);
    expect(server.sessions[0]?.commands).toContain('RSET');
    expect(server.messages).toHaveLength(0);
    await client.send(envelope, 'second try');
    expect(server.messages).toHaveLength(1);
  });

  test('a refused sender fails in phase mail, transient for 4xx, and the session stays usable', async () => {
    const server = await fakeServer({ script: [{ command: 'MAIL', reply: '451 4.3.0 Try later', times: 1 }] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'));
    expect(error).toBeInstanceOf(SmtpReplyError);
    expect(error.phase).toBe('mail');
    expect(error.transient).toBe(true);
    expect(server.sessions[0]?.commands).toContain('RSET');
    expect((await client.send(envelope, 'x')).accepted).toEqual(['a@example.org']);
  });

  test('a refused message fails in phase data and the session stays usable', async () => {
    const server = await fakeServer({ script: [{ command: 'DATA-END', reply: '554 5.6.0 Content rejected', times: 1 }] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'spam'));
    expect(error).toBeInstanceOf(SmtpReplyError);
    expect(error.phase).toBe('data');
    expect(error.transient).toBe(false);
    await client.send(envelope, 'ham');
    expect(server.messages.map((m) => text(m.content))).toEqual(['ham\r\n']);
  });

  test('a refused DATA command fails in phase data', async () => {
    const server = await fakeServer({ script: [{ command: 'DATA', reply: '451 4.3.0 Not now', times: 1 }] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'));
    expect(error.phase).toBe('data');
    expect(error.transient).toBe(true);
    await client.send(envelope, 'x');
  });

  test('421 ends the session: transient error, connection closed, later calls fail clearly', async () => {
    const server = await fakeServer({ script: [{ command: 'RCPT', reply: '421 4.3.2 Shutting down' }] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'));
    expect(error).toBeInstanceOf(SmtpReplyError);
    expect(error.transient).toBe(true);
    expect(client.closed).toBe(true);
    const next = await failure(client.send(envelope, 'x'));
    expect(next).toBeInstanceOf(SmtpConnectionError);
    expect(next.message).toMatch(/closed after an earlier error.*Shutting down/);
  });

  test('sends many messages over one connection, and queues concurrent calls', async () => {
    const server = await fakeServer();
    const client = await connectTo(server);
    await Promise.all([1, 2, 3, 4, 5].map((n) => client.send(envelope, `message ${n}`)));
    expect(server.messages.map((m) => text(m.content))).toEqual([1, 2, 3, 4, 5].map((n) => `message ${n}\r\n`));
    expect(server.sessions).toHaveLength(1);
  });

  test('normalises line ends before dot-stuffing: no bare LF reaches the server and no smuggled end of data', async () => {
    const server = await fakeServer();
    const client = await connectTo(server);
    await client.send(envelope, 'Subject: a\n\nline\n.\nMAIL FROM:<evil@example.com>\r.\r\n.x\n');
    expect(server.messages).toHaveLength(1);
    expect(server.sessions[0]?.bareLfSeen).toBe(false);
    expect(text(server.messages[0]?.content ?? new Uint8Array())).toBe('Subject: a\r\n\r\nline\r\n.\r\nMAIL FROM:<evil@example.com>\r\n.\r\n.x\r\n');
    expect(text(server.messages[0]?.data ?? new Uint8Array())).toContain('\r\n..\r\n');
  });

  test('summarises message content in the transcript', async () => {
    const sink = transcriptSink();
    const server = await fakeServer();
    const client = await connectTo(server, { onTranscript: sink.onTranscript });
    await client.send(envelope, 'secret body text\r\n');
    expect(sink.text()).not.toContain('secret body text');
    expect(sink.text()).toContain('client: <18 bytes>\nclient: .\nserver: 250');
  });

  test('uses BDAT with CHUNKING, unstuffed and CRLF-normalised', async () => {
    const server = await fakeServer({ extensions: { chunking: true } });
    const client = await connectTo(server);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('Subject: x\n\n.leading dot\r');
      yield new TextEncoder().encode('\nend');
    }
    await client.send(envelope, chunks());
    const message = server.messages[0];
    expect(message?.via).toBe('BDAT');
    expect(text(message?.content ?? new Uint8Array())).toBe('Subject: x\r\n\r\n.leading dot\r\nend\r\n');
    expect(server.sessions[0]?.commands.filter((c) => c.startsWith('BDAT')).at(-1)).toMatch(/^BDAT \d+ LAST$/);
  });

  test('a refused BDAT chunk fails in phase data and resets', async () => {
    const server = await fakeServer({ extensions: { chunking: true }, script: [{ command: 'BDAT', reply: '554 5.6.0 Nope', times: 1 }] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'));
    expect(error.phase).toBe('data');
    expect(server.sessions[0]?.commands).toContain('RSET');
    await client.send(envelope, 'x');
    expect(server.messages).toHaveLength(1);
  });

  test('accepts a Readable and declares SIZE and BODY from the envelope', async () => {
    const server = await fakeServer();
    const client = await connectTo(server);
    await client.send({ ...envelope, size: 8, eightBit: true }, Readable.from([Buffer.from('caf'), Buffer.from('é\r\n')]));
    expect(server.messages[0]?.mailParameters).toEqual({ SIZE: '8', BODY: '8BITMIME' });
    expect(text(server.messages[0]?.content ?? new Uint8Array())).toBe('café\r\n');
  });

  test('detects 8-bit in-memory content, and refuses it without 8BITMIME', async () => {
    const server = await fakeServer();
    const client = await connectTo(server);
    await client.send(envelope, 'Subject: café\r\n\r\n');
    expect(server.messages[0]?.mailParameters.BODY).toBe('8BITMIME');
    const old = await connectTo(await fakeServer({ extensions: { eightBitMime: false } }));
    expect(await failure(old.send(envelope, 'café'))).toBeInstanceOf(SmtpCapabilityError);
  });

  test('adds SMTPUTF8 for an internationalised address, and refuses it when not offered', async () => {
    const server = await fakeServer();
    const client = await connectTo(server);
    await client.send({ from: 'app@example.com', to: ['用户@例子.广告'] }, 'x');
    expect(server.messages[0]?.mailParameters.SMTPUTF8).toBeDefined();
    expect(server.messages[0]?.recipients).toEqual(['用户@例子.广告']);
    const plain = await connectTo(await fakeServer({ extensions: { smtputf8: false } }));
    expect(await failure(plain.send({ from: 'app@example.com', to: ['用户@例子.广告'] }, 'x'))).toBeInstanceOf(SmtpCapabilityError);
  });

  test('sends DSN parameters when DSN is offered', async () => {
    const server = await fakeServer({ extensions: { dsn: true } });
    const client = await connectTo(server);
    await client.send({ ...envelope, dsn: { ret: 'HDRS', envid: 'QQ314159', notify: ['FAILURE', 'DELAY'], orcpt: true } }, 'x');
    expect(server.messages[0]?.mailParameters).toMatchObject({ RET: 'HDRS', ENVID: 'QQ314159' });
    expect(server.messages[0]?.recipientParameters).toEqual([{ NOTIFY: 'FAILURE,DELAY', ORCPT: 'rfc822;a@example.org' }]);
  });

  test('refuses a message over the SIZE limit before sending anything', async () => {
    const server = await fakeServer({ extensions: { size: 100 } });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'.repeat(101)));
    expect(error).toBeInstanceOf(SmtpCapabilityError);
    expect(server.sessions[0]?.commands.some((c) => c.startsWith('MAIL'))).toBe(false);
    await client.send(envelope, 'small');
  });

  test('refuses invalid addresses and CR/LF injection before sending anything', async () => {
    const server = await fakeServer();
    const client = await connectTo(server);
    expect(await failure(client.send({ from: 'app@example.com', to: ['a@example.org>\r\nRCPT TO:<b@example.org'] }, 'x'))).toBeInstanceOf(SmtpArgumentError);
    expect(await failure(client.send({ from: 'not an address', to: ['a@example.org'] }, 'x'))).toBeInstanceOf(SmtpArgumentError);
    expect(server.sessions[0]?.commands.some((c) => c.startsWith('MAIL'))).toBe(false);
    await client.send({ from: '', to: ['a@example.org'] }, 'bounce');
    expect(server.messages[0]?.from).toBe('');
  });

  test('a failing message stream closes the connection with an error in phase data', async () => {
    const server = await fakeServer();
    const client = await connectTo(server);
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('partial');
      throw new Error('disk read failed');
    }
    const error = await failure(client.send(envelope, broken()));
    expect(error).toBeInstanceOf(SmtpConnectionError);
    expect(error.phase).toBe('data');
    expect(error.message).toMatch(/disk read failed/);
    expect(client.closed).toBe(true);
    expect(server.messages).toHaveLength(0);
  });

  test('streams a 64 MiB message from an async generator', async () => {
    const server = await fakeServer({ extensions: { size: false } });
    const client = await connectTo(server, { timeouts: { data: 60_000 } });
    const line = new TextEncoder().encode(`${'x'.repeat(1022)}\r\n`);
    const block = new Uint8Array(1024 * 1024);
    for (let i = 0; i < block.length; i += line.length) block.set(line, i);
    async function* big(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 64; i++) yield block;
    }
    const result = await client.send({ ...envelope, size: 64 * block.length }, big());
    expect(result.reply.code).toBe(250);
    expect(server.messages[0]?.content.length).toBe(64 * block.length);
  }, 60_000);
});
