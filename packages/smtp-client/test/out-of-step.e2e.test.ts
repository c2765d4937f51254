import { describe, expect, test } from 'vitest';
import { SmtpProtocolError } from '../src/index.js';
import { connectTo, failure, fakeServer } from './helpers.js';

describe('a reply nobody asked for', () => {
  test('an unsolicited 235 behind the EHLO reply does not authenticate the session', async () => {
    const server = await fakeServer({
      auth: { mechanisms: ['PLAIN'], users: { app: 'the-right-password' } },
      script: [{ command: 'EHLO', reply: '250-f.test\r\n250 AUTH PLAIN\r\n235 2.7.0 Authentication successful' }],
    });
    const client = await connectTo(server, { allowPlaintextAuth: true });
    const error = await failure(client.authenticate({ username: 'app', password: 'a-wrong-password', mechanism: 'PLAIN' }));
    expect(error).toBeInstanceOf(SmtpProtocolError);
    expect(error).toMatchObject({ phase: 'auth', transient: false });
    expect(client.authenticatedAs).toBeUndefined();
    expect(client.closed).toBe(true);
    expect(server.sessions[0]?.commands.some((command) => command.startsWith('AUTH'))).toBe(false);
  });

  test('an unsolicited reply before a transaction is refused before MAIL is sent', async () => {
    const server = await fakeServer({ extensions: { pipelining: false }, script: [{ command: 'EHLO', reply: '250-f.test\r\n250 8BITMIME\r\n250 2.1.0 Ok' }] });
    const client = await connectTo(server);
    const error = await failure(client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'Subject: x\r\n\r\ny\r\n'));
    expect(error).toBeInstanceOf(SmtpProtocolError);
    expect(error).toMatchObject({ phase: 'mail' });
    expect(server.sessions[0]?.commands.some((command) => command.startsWith('MAIL'))).toBe(false);
    expect(server.messages).toHaveLength(0);
  });
});
