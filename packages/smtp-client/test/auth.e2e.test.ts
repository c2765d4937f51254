import { describe, expect, test } from 'vitest';
import { SmtpArgumentError, SmtpAuthError, SmtpCapabilityError, SmtpReplyError, SmtpTimeoutError } from '../src/index.js';
import { connectTo, failure, fakeServer, transcriptSink } from './helpers.js';

const users = { alice: 'correct horse battery' };
const password = users.alice;

describe('authenticate', () => {
  test.each(['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256-PLUS'])(
    'authenticates with %s over STARTTLS, the password never in the transcript',
    async (mechanism) => {
      const sink = transcriptSink();
      // DIGEST-MD5's digest-uri names the host connected to, which the server checks against its own name.
      const server = await fakeServer({ hostname: '127.0.0.1', starttls: true, auth: { mechanisms: [mechanism], users } });
      const client = await connectTo(server, { security: 'starttls', onTranscript: sink.onTranscript });
      const result = await client.authenticate({ username: 'alice', password });
      expect(result.mechanism).toBe(mechanism);
      expect(client.authenticatedAs).toBe('alice');
      expect(server.sessions[0]?.authenticatedAs).toBe('alice');
      expect(server.sessions[0]?.mechanism).toBe(mechanism);
      const transcript = sink.text();
      expect(transcript).not.toContain(password);
      expect(transcript).not.toContain(Buffer.from(`\0alice\0${password}`).toString('base64'));
      expect(transcript).toMatch(new RegExp(`client: AUTH ${mechanism}( <redacted>)?\\n`));
      await client.send({ from: 'alice@example.com', to: ['b@example.com'] }, 'x');
      expect(server.messages[0]?.session.authenticatedAs).toBe('alice');
    },
  );

  test('picks the strongest offered mechanism, with channel binding over TLS 1.3', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'], users } });
    const client = await connectTo(server, { security: 'tls' });
    expect((await client.authenticate({ username: 'alice', password })).mechanism).toBe('SCRAM-SHA-256-PLUS');
  });

  test('sends the initial response with the command (SASL-IR)', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['PLAIN'], users } });
    const client = await connectTo(server, { security: 'tls' });
    await client.authenticate({ username: 'alice', password });
    expect(server.sessions[0]?.batches.filter((batch) => batch[0]?.startsWith('AUTH'))).toEqual([['AUTH PLAIN <redacted>']]);
  });

  test.each(['XOAUTH2', 'OAUTHBEARER'])('authenticates with a token over %s', async (mechanism) => {
    const sink = transcriptSink();
    const token = 'ya29.a0-token-value';
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: [mechanism], verifyToken: (user, t) => user === 'alice@example.com' && t === token } });
    const client = await connectTo(server, { security: 'tls', onTranscript: sink.onTranscript });
    expect((await client.authenticate({ username: 'alice@example.com', accessToken: token })).mechanism).toBe(mechanism);
    expect(sink.text()).not.toContain(token);
  });

  test('redacts the token when the XOAUTH2 JSON error quotes it back', async () => {
    const token = 'ya29.quoted-token';
    const verifyToken = (_user: string, t: string) => ({ error: { status: '401', detail: `token ${t} has expired` } });
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['XOAUTH2'], verifyToken } });
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'alice@example.com', accessToken: token }));
    expect(error.message).toContain('token <redacted> has expired');
    expect(JSON.stringify((error as SmtpAuthError).oauthError)).not.toContain(token);
  });

  test('keeps the XOAUTH2 JSON error on the error after answering it with an empty line', async () => {
    const oauthError = { status: '401', schemes: 'Bearer', scope: 'https://mail.google.com/' };
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['XOAUTH2'], verifyToken: () => ({ error: oauthError }) } });
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'alice@example.com', accessToken: 'expired-token' }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect((error as SmtpAuthError).oauthError).toEqual(oauthError);
    expect(error.reply?.code).toBe(535);
    expect(error.message).not.toContain('expired-token');
    expect(server.sessions[0]?.commands.filter((c) => c.startsWith('AUTH')).length).toBe(1);
    // The session is still usable after a refused authentication.
    await client.send({ from: 'a@example.com', to: ['b@example.com'] }, 'x');
  });

  test('a wrong password is a permanent auth error and leaves the session usable', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['SCRAM-SHA-256'], users } });
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'alice', password: 'wrong password' }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect(error.reply?.code).toBe(535);
    expect(error.transient).toBe(false);
    expect(error.message).not.toContain('wrong password');
    expect((await client.authenticate({ username: 'alice', password })).mechanism).toBe('SCRAM-SHA-256');
    // RFC 4954 §4: one successful AUTH per session; a second is refused before anything is sent.
    expect(await failure(client.authenticate({ username: 'alice', password }))).toBeInstanceOf(SmtpArgumentError);
    expect(server.sessions[0]?.commands.filter((c) => c.startsWith('AUTH'))).toHaveLength(2);
  });

  test('a server that echoes the password in its refusal gets it redacted in the error and its reply', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['PLAIN'], users }, script: [{ command: 'AUTH', reply: `535 5.7.8 Bad password ${password}` }] });
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'alice', password }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect(error.message).toContain('Bad password <redacted>');
    expect(error.reply?.text).toBe('Bad password <redacted>');
    expect(JSON.stringify(error.reply)).not.toContain(password);
  });

  test('after authenticating, a pipelined batch gets the password redacted from every reply that echoes it, however often the clean ones repeat', async () => {
    const server = await fakeServer({
      implicitTls: true,
      auth: { mechanisms: ['PLAIN'], users },
      script: [{ command: 'RCPT', match: 'bad', reply: `550 5.1.1 No mailbox for ${password}` }],
    });
    const client = await connectTo(server, { security: 'tls' });
    await client.authenticate({ username: 'alice', password });
    const sends = ['a@example.org', 'bad@example.org', 'b@example.org', 'bad@example.org', 'c@example.org'].map((to) =>
      client.send({ from: 'app@example.com', to: [to] }, 'Subject: x\r\n\r\nbody\r\n').then(
        (result) => ({ result }),
        (error: unknown) => ({ error: error as SmtpReplyError }),
      ),
    );
    const outcomes = await Promise.all(sends);
    for (const index of [0, 2, 4]) expect(outcomes[index]).toMatchObject({ result: { reply: { code: 250 } } });
    for (const index of [1, 3]) {
      const error = (outcomes[index] as { error: SmtpReplyError }).error;
      expect(error).toBeInstanceOf(SmtpReplyError);
      expect(error.reply.text).toBe('No mailbox for <redacted>');
      expect(error.message).not.toContain(password);
      expect(JSON.stringify(error.rejectedRecipients)).not.toContain(password);
    }
    await client.quit();
  });

  test('a server that echoes the SASL response it could not take gets it redacted too', async () => {
    const response = Buffer.from(`\0alice\0${password}`).toString('base64');
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['PLAIN'], users }, script: [{ command: 'AUTH', reply: `501 5.5.2 Cannot decode ${response}` }] });
    const sink = transcriptSink();
    const client = await connectTo(server, { security: 'tls', onTranscript: sink.onTranscript });
    const error = await failure(client.authenticate({ username: 'alice', password }));
    expect(error.message).toContain('Cannot decode <redacted>');
    expect(sink.text()).toContain('server: 501 5.5.2 Cannot decode <redacted>');
  });

  test.each([
    ['454 4.7.0 Temporary authentication failure', true, /temporary/],
    ['530 5.7.0 Must issue a STARTTLS command first', false, /requires TLS/],
    ['534 5.7.9 Authentication mechanism is too weak', false, /stronger mechanism/],
    ['535 5.7.8 Authentication credentials invalid', false, /username and password/],
  ])('%s is an SmtpAuthError, transient %s, with advice', async (reply, transient, advice) => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['PLAIN'], users }, script: [{ command: 'AUTH', reply }] });
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'alice', password }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect(error.phase).toBe('auth');
    expect(error.transient).toBe(transient);
    expect(error.reply?.code).toBe(Number(reply.slice(0, 3)));
    expect(error.message).toMatch(advice);
  });

  test('refuses PLAIN and LOGIN over plaintext before sending anything, unless allowed', async () => {
    const server = await fakeServer({ auth: { mechanisms: ['PLAIN', 'LOGIN'], users } });
    const client = await connectTo(server);
    const forced = await failure(client.authenticate({ username: 'alice', password, mechanism: 'plain' }));
    expect(forced).toBeInstanceOf(SmtpAuthError);
    expect(forced.message).toMatch(/not encrypted/);
    expect(await failure(client.authenticate({ username: 'alice', password }))).toBeInstanceOf(SmtpCapabilityError);
    expect(server.sessions[0]?.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
    const allowed = await connectTo(server, { allowPlaintextAuth: true });
    expect((await allowed.authenticate({ username: 'alice', password })).mechanism).toBe('PLAIN');
  });

  test('uses CRAM-MD5 over plaintext without special permission', async () => {
    const server = await fakeServer({ auth: { mechanisms: ['PLAIN', 'CRAM-MD5'], users } });
    const client = await connectTo(server);
    expect((await client.authenticate({ username: 'alice', password })).mechanism).toBe('CRAM-MD5');
  });

  test('fails clearly when the server offers no AUTH or not the named mechanism', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['PLAIN'], users } });
    const client = await connectTo(server, { security: 'tls' });
    expect(await failure(client.authenticate({ username: 'alice', password, mechanism: 'CRAM-MD5' }))).toBeInstanceOf(SmtpCapabilityError);
    expect(await failure(client.authenticate({ username: 'alice', password, mechanism: 'KERBEROS_V4' }))).toBeInstanceOf(SmtpArgumentError);
    const none = await connectTo(await fakeServer({ implicitTls: true }), { security: 'tls' });
    expect(await failure(none.authenticate({ username: 'alice', password }))).toBeInstanceOf(SmtpCapabilityError);
  });

  test('cancels with * when the mechanism refuses the challenge, and reports the SASL error', async () => {
    const server = await fakeServer({
      implicitTls: true,
      auth: { mechanisms: ['SCRAM-SHA-256'], users },
      script: [{ command: 'AUTH', reply: `334 ${Buffer.from('not a scram challenge').toString('base64')}` }],
    });
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'alice', password }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect((error.cause as Error).name).toBe('SaslError');
    expect(server.sessions[0]?.commands).toContain('*');
  });

  test('treats success before the server proved itself as an error and closes the connection', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['SCRAM-SHA-256'], users }, script: [{ command: 'AUTH', reply: '235 2.7.0 Welcome' }] });
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'alice', password }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect(error.message).toMatch(/impostor/);
    expect(client.closed).toBe(true);
    expect(await failure(client.send({ from: 'a@example.com', to: ['b@example.com'] }, 'x'))).toMatchObject({ name: 'SmtpConnectionError' });
  });

  test.each(['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'])(
    'accepts %s additional data with success carried in the 235 reply, verified by the mechanism',
    async (mechanism) => {
      const server = await fakeServer({ hostname: '127.0.0.1', implicitTls: true, auth: { mechanisms: [mechanism], users, dataWithSuccess: 'success-reply' } });
      const client = await connectTo(server, { security: 'tls' });
      const result = await client.authenticate({ username: 'alice', password });
      expect(result.reply.code).toBe(235);
      expect(result.reply.text).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(server.sessions[0]?.commands.filter((command) => command === '')).toEqual([]);
      expect(client.authenticatedAs).toBe('alice');
      await client.send({ from: 'alice@example.com', to: ['b@example.com'] }, 'x');
      expect(server.messages).toHaveLength(1);
    },
  );

  test('a 235 carrying a proof the mechanism cannot verify is an impostor, the connection closed', async () => {
    const forged = Buffer.from('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=').toString('base64');
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['SCRAM-SHA-256'], users }, script: [{ command: 'AUTH', reply: `235 2.7.0 ${forged}` }] });
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'alice', password }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect(error.message).toMatch(/impostor/);
    expect(client.closed).toBe(true);
  });

  test('authenticates with EXTERNAL and ANONYMOUS when named', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['EXTERNAL', 'ANONYMOUS'], users, externalIdentity: 'cert-user' } });
    const client = await connectTo(server, { security: 'tls' });
    expect((await client.authenticate({ username: 'alice', password: '', mechanism: 'external' })).mechanism).toBe('EXTERNAL');
    expect(server.sessions[0]?.authenticatedAs).toBe('cert-user');
    const anonymous = await connectTo(server, { security: 'tls' });
    expect((await anonymous.authenticate({ username: 'trace@example.com', password: '', mechanism: 'ANONYMOUS' })).mechanism).toBe('ANONYMOUS');
  });

  test('sends an initial response that would make the line longer than 512 octets after an empty challenge', async () => {
    const token = 'a'.repeat(600);
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['XOAUTH2'], verifyToken: (_, t) => t === token } });
    const client = await connectTo(server, { security: 'tls' });
    await client.authenticate({ username: 'alice@example.com', accessToken: token });
    expect(server.sessions[0]?.commands.filter((c) => c.startsWith('AUTH'))).toEqual(['AUTH XOAUTH2']);
    expect(server.sessions[0]?.authenticatedAs).toBe('alice@example.com');
  });

  test('a server that never answers AUTH times out in phase auth and closes the connection', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['PLAIN'], users }, script: [{ command: 'AUTH', action: 'silent' }] });
    const client = await connectTo(server, { security: 'tls', timeouts: { command: 200 } });
    const error = await failure(client.authenticate({ username: 'alice', password }));
    expect(error).toBeInstanceOf(SmtpTimeoutError);
    expect(error.phase).toBe('auth');
    expect(client.closed).toBe(true);
  });

  test('MAIL refused with 530 when the server requires authentication', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['PLAIN'], users, required: true } });
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.send({ from: 'a@example.com', to: ['b@example.com'] }, 'x'));
    expect(error.reply?.code).toBe(530);
    expect(error.message).toMatch(/requires authentication/);
    await client.authenticate({ username: 'alice', password });
    await client.send({ from: 'a@example.com', to: ['b@example.com'] }, 'x');
    expect(server.messages).toHaveLength(1);
  });

  test('reads mechanisms from the legacy AUTH= line', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['LOGIN'], users }, extensions: { extra: ['AUTH=LOGIN'] } });
    const client = await connectTo(server, { security: 'tls' });
    expect(client.capabilities.authMechanisms).toEqual(['LOGIN']);
    expect((await client.authenticate({ username: 'alice', password })).mechanism).toBe('LOGIN');
  });
});
