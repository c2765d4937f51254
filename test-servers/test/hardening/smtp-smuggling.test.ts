import { afterEach, describe, expect, test } from 'vitest';
import { SmtpArgumentError, SmtpClient } from '@sysmail/smtp-client';
import { Pop3Client, Pop3Error } from '@sysmail/pop3-client';
import { startFakePop3Server, startFakeSmtpServer, type FakeSmtpServer } from '@sysmail/test-servers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connected(): Promise<{ server: FakeSmtpServer; client: SmtpClient }> {
  const server = await startFakeSmtpServer({});
  cleanups.push(() => server.close());
  const client = await SmtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'none', clientName: 'client.example', timeouts: 2_000 });
  cleanups.push(() => client.close());
  return { server, client };
}

describe('nothing the caller passes can smuggle a command or a second message to the server', () => {
  test.each([
    ['bare LF dot bare LF', '\n.\n'],
    ['bare CR dot bare CR', '\r.\r'],
    ['bare LF dot CRLF', '\n.\r\n'],
    ['CRLF dot bare LF', '\r\n.\n'],
    ['bare CR dot CRLF', '\r.\r\n'],
  ])('a message body with %s followed by a second transaction is delivered as one message', async (_, end) => {
    const { server, client } = await connected();
    const smuggled = `MAIL FROM:<evil@example.net>${end.slice(-1) === '\n' ? '\n' : '\r'}RCPT TO:<victim@example.org>\r\nDATA\r\nSubject: forged\r\n\r\nforged${end}`;
    await client.send({ from: 'app@example.com', to: ['a@example.org'] }, `Subject: memo\r\n\r\nbody${end}${smuggled}`);
    await client.quit();
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]?.recipients).toEqual(['a@example.org']);
    expect(server.sessions[0]?.bareLfSeen).toBe(false);
    expect(server.sessions[0]?.commands.filter((command) => /^MAIL/i.test(command))).toHaveLength(1);
    const content = Buffer.from(server.messages[0]?.content ?? []).toString('latin1');
    expect(content).toContain('evil@example.net');
    expect(/\r(?!\n)|(?<!\r)\n/.test(content)).toBe(false);
  });

  test.each([
    ['CR', 'a@example.org\rRCPT TO:<b@example.org>'],
    ['LF', 'a@example.org\nRCPT TO:<b@example.org>'],
    ['NUL', 'a@example.org\0'],
  ])('a recipient with %s is refused before anything of the transaction is sent', async (_, address) => {
    const { server, client } = await connected();
    await expect(client.send({ from: 'app@example.com', to: [address] }, 'Subject: x\r\n\r\ny\r\n')).rejects.toBeInstanceOf(SmtpArgumentError);
    expect(server.sessions[0]?.commands.filter((command) => /^(MAIL|RCPT|DATA)/i.test(command))).toEqual([]);
  });

  test.each([['CR', 'app\rDELE 1'], ['LF', 'app\nDELE 1'], ['NUL', 'app\0']])('a POP3 username with %s is refused before anything is sent', async (_, username) => {
    const server = await startFakePop3Server({ users: { app: 'pop-secret-11aa' } });
    cleanups.push(() => server.close());
    const client = await Pop3Client.connect({ host: '127.0.0.1', port: server.port, security: 'none', timeouts: 2_000, allowPlaintextAuth: true });
    cleanups.push(() => client.close());
    await expect(client.login({ username, password: 'pop-secret-11aa', method: 'user' })).rejects.toBeInstanceOf(Pop3Error);
    expect(server.sessions[0]?.commands.filter((command) => /^(USER|PASS|DELE)/i.test(command))).toEqual([]);
  });
});
