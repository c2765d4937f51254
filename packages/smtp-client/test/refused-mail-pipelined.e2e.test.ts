import * as net from 'node:net';
import { describe, expect, test } from 'vitest';
import { SmtpClient, SmtpConnectionError, SmtpReplyError } from '../src/index.js';
import { connectTo, failure, fakeServer, onCleanup, transcriptSink } from './helpers.js';

/**
 * Postfix's `submission` without TLS, as the interop suite met it (the fake server is correct):
 * every command is refused with 530, BDAT's chunk is not discarded but read as commands, and a
 * header line among them ends the session with `221 … I can break rules, too`.
 */
async function postfixBeforeTls(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end !== -1 && !socket.destroyed; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (/^EHLO/i.test(line)) socket.write('250-postfix.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 CHUNKING\r\n');
        else if (/^[A-Za-z-]+:/.test(line)) socket.end('221 2.7.0 Error: I can break rules, too. Goodbye.\r\n');
        else socket.write('530 5.7.0 Must issue a STARTTLS command first\r\n');
      }
    });
    socket.on('error', () => socket.destroy());
    socket.write('220 postfix.test ESMTP\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

// RFC 2920/3030: every pipelined command gets exactly one reply, also behind a refused MAIL
// (Postfix on `submission` without TLS: MAIL 530, then RCPT and BDAT/DATA refused too).
const refusedMail = { command: 'MAIL' as const, reply: '530 5.7.0 Must issue a STARTTLS command first' };

describe('a refused MAIL in a pipelined batch', () => {
  test.each([
    ['BDAT', { pipelining: true, chunking: true }],
    ['DATA', { pipelining: true, chunking: false }],
  ] as const)('with %s: every reply of the batch is read, the failure is MAIL’s, and the session goes on after RSET', async (framing, extensions) => {
    const server = await fakeServer({ extensions, script: [{ ...refusedMail, times: 1 }] });
    const transcript = transcriptSink();
    const client = await connectTo(server, { onTranscript: transcript.onTranscript });
    const error = await failure(client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'Subject: x\r\n\r\nbody\r\n'));
    expect(error).toBeInstanceOf(SmtpReplyError);
    expect(error).toMatchObject({ phase: 'mail', transient: false, reply: { code: 530 } });
    const served = transcript.entries.filter((entry) => entry.direction === 'server').map((entry) => entry.text.slice(0, 3));
    // MAIL 530, RCPT 503 (no MAIL), DATA 503: one reply each, then RSET's 250. With BDAT no chunk
    // goes ahead of the replies while no MAIL has been accepted in the session, so there is no third reply.
    if (framing === 'DATA') expect(served.slice(-4)).toEqual(['530', '503', '503', '250']);
    else expect(served.slice(-3)).toEqual(['530', '503', '250']);
    if (framing === 'BDAT') expect(transcript.entries.some((entry) => entry.direction === 'client' && entry.text.startsWith('BDAT'))).toBe(false);
    expect(transcript.entries.some((entry) => entry.direction === 'client' && entry.text === 'RSET')).toBe(true);
    if (framing === 'DATA') expect(transcript.entries.some((entry) => entry.direction === 'client' && entry.text === '.')).toBe(false);
    const result = await client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'Subject: y\r\n\r\nbody\r\n');
    expect(result.accepted).toEqual(['a@example.org']);
    expect(server.messages).toHaveLength(1);
    await client.quit();
  });

  test('against a server that reads the refused BDAT chunk as commands (Postfix before TLS): still MAIL’s failure, then the connection is closed', async () => {
    const port = await postfixBeforeTls();
    const client = await SmtpClient.connect({ host: '127.0.0.1', port, security: 'none', timeouts: 5000 });
    onCleanup(() => client.close());
    const error = await failure(client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'Subject: x\r\n\r\nbody\r\n'));
    expect(error).toBeInstanceOf(SmtpReplyError);
    expect(error).toMatchObject({ phase: 'mail', transient: false, reply: { code: 530 } });
    const next = await failure(client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'again\r\n'));
    expect(next).toBeInstanceOf(SmtpConnectionError);
    await client.quit();
  });
});
