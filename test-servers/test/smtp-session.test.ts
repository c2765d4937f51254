import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSmtpServer, type FakeSmtpServer, type FakeSmtpServerOptions } from '../src/index.js';
import { destroyRawClients, RawSmtp } from './smtp-raw-client.js';

let servers: FakeSmtpServer[] = [];
afterEach(async () => {
  destroyRawClients();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function start(options: FakeSmtpServerOptions = {}): Promise<FakeSmtpServer> {
  const server = await startFakeSmtpServer(options);
  servers.push(server);
  return server;
}

async function bdat(client: RawSmtp, header: string, chunk: string): Promise<string> {
  client.write(`${header}\r\n${chunk}`);
  return client.reply();
}

async function session(server: FakeSmtpServer, ehlo = true): Promise<RawSmtp> {
  const client = await RawSmtp.connect(server.port);
  expect(await client.reply()).toMatch(/^220 /);
  if (ehlo) expect(await client.command('EHLO client.test')).toMatch(/^250 /m);
  return client;
}

describe('fake SMTP server: greeting and EHLO', () => {
  it('greets with its hostname and advertises the default extensions', async () => {
    const server = await start({ hostname: 'mx.test' });
    const client = await RawSmtp.connect(server.port);
    expect(await client.reply()).toBe('220 mx.test ESMTP sysmail fake SMTP server');
    const ehlo = (await client.command('EHLO client.test')).split('\r\n');
    expect(ehlo).toEqual([
      '250-mx.test greets client.test',
      '250-PIPELINING',
      '250-SIZE 10485760',
      '250-8BITMIME',
      '250-SMTPUTF8',
      '250 ENHANCEDSTATUSCODES',
    ]);
    expect(server.sessions[0]?.ehloName).toBe('client.test');
    expect(server.sessions[0]?.remoteAddress).toBe('127.0.0.1');
    expect(server.sessions[0]?.remotePort).toBe(client.socket.localPort);
  });

  it('advertises what its options say, extra lines last', async () => {
    const server = await start({
      starttls: true,
      extensions: { pipelining: false, eightBitMime: false, smtputf8: false, enhancedStatusCodes: false, size: false, dsn: true, chunking: true, extra: ['AUTH=LOGIN PLAIN', 'X-FOO'] },
      auth: { mechanisms: ['PLAIN', 'LOGIN'] },
    });
    const client = await session(server, false);
    expect((await client.command('EHLO c')).split('\r\n')).toEqual([
      '250-fake-smtp.test greets c',
      '250-DSN',
      '250-CHUNKING',
      '250-STARTTLS',
      '250-AUTH PLAIN LOGIN',
      '250-AUTH=LOGIN PLAIN',
      '250 X-FOO',
    ]);
    expect(await client.command('NOOP')).toBe('250 Ok');
  });

  it('answers EHLO with 502 when told to, and serves HELO without extensions', async () => {
    const server = await start({ ehlo: false });
    const client = await session(server, false);
    expect(await client.command('EHLO c')).toBe('502 5.5.1 EHLO not supported, use HELO');
    expect(await client.command('HELO c')).toBe('250 fake-smtp.test');
    expect(await client.command('MAIL FROM:<a@example.com> SIZE=10')).toMatch(/^555 5\.5\.4/);
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('250 2.1.0 Ok');
    expect(await client.command('RCPT TO:<b@example.com>')).toBe('250 2.1.5 Ok');
    expect(await client.command('DATA')).toMatch(/^354 /);
    expect(await client.command('hi\r\n.')).toMatch(/^250 2\.0\.0 Ok: queued as Q/);
    expect(server.messages[0]?.content).toEqual(new TextEncoder().encode('hi\r\n'));
  });

  it('uses a greeting override, and after a 554 greeting answers 503 to all but QUIT', async () => {
    const server = await start({ greeting: '554-no service\r\n554 go away' });
    const client = await RawSmtp.connect(server.port);
    expect(await client.reply()).toBe('554-no service\r\n554 go away');
    expect(await client.command('EHLO c')).toMatch(/^503 5\.5\.1/);
    expect(await client.command('QUIT')).toBe('221 2.0.0 Bye');
    expect((await client.rest()).length).toBe(0);
  });

  it('closes right after a 421 greeting', async () => {
    const server = await start({ greeting: '421 4.3.2 busy' });
    const client = await RawSmtp.connect(server.port);
    expect(await client.reply()).toBe('421 4.3.2 busy');
    await client.rest();
    expect(client.closed).toBe(true);
  });
});

describe('fake SMTP server: mail transactions', () => {
  it('records the envelope, the exact DATA bytes and the un-stuffed content', async () => {
    const server = await start({ extensions: { dsn: true } });
    const client = await session(server);
    expect(await client.command('MAIL FROM:<"john doe"@example.com> SIZE=40 BODY=8BITMIME RET=HDRS ENVID=abc')).toBe('250 2.1.0 Ok');
    expect(await client.command('RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.com')).toBe('250 2.1.5 Ok');
    expect(await client.command('RCPT TO:<Postmaster>')).toBe('250 2.1.5 Ok');
    expect(await client.command('DATA')).toBe('354 End data with <CR><LF>.<CR><LF>');
    client.write('Subject: x\r\n\r\n..dot\r\n.\r\n');
    expect(await client.reply()).toMatch(/^250 2\.0\.0 Ok: queued as Q000001$/);
    const [message] = server.messages;
    expect(message?.from).toBe('"john doe"@example.com');
    expect(message?.mailParameters).toEqual({ SIZE: '40', BODY: '8BITMIME', RET: 'HDRS', ENVID: 'abc' });
    expect(message?.recipients).toEqual(['b@example.com', 'Postmaster']);
    expect(message?.recipientParameters).toEqual([{ NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;b@example.com' }, {}]);
    expect(Buffer.from(message?.data ?? []).toString()).toBe('Subject: x\r\n\r\n..dot\r\n');
    expect(Buffer.from(message?.content ?? []).toString()).toBe('Subject: x\r\n\r\n.dot\r\n');
    expect(message?.via).toBe('DATA');
    expect(message?.session).toBe(server.sessions[0]);
  });

  it('accepts the null reverse path, a source route and an address literal', async () => {
    const server = await start();
    const client = await session(server);
    expect(await client.command('MAIL FROM:<>')).toBe('250 2.1.0 Ok');
    expect(await client.command('RCPT TO:<@relay.test:user@[192.0.2.1]>')).toBe('250 2.1.5 Ok');
    expect(await client.command('DATA')).toMatch(/^354/);
    expect(await client.command('.')).toMatch(/^250/);
    expect(server.messages[0]?.from).toBe('');
    expect(server.messages[0]?.recipients).toEqual(['user@[192.0.2.1]']);
    expect(server.messages[0]?.data.length).toBe(0);
  });

  it('answers syntax errors with 501 5.5.4 and unknown parameters with 555', async () => {
    const server = await start();
    const client = await session(server);
    expect(await client.command('MAIL FROM:a@example.com')).toBe('501 5.5.4 Syntax: MAIL FROM:<address> [parameters]');
    expect(await client.command('MAIL FROM:<a b@example.com>')).toMatch(/^501 5\.5\.4/);
    expect(await client.command('MAIL FROM:<a@example.com> SIZE=x')).toMatch(/^501 5\.5\.4/);
    expect(await client.command('MAIL FROM:<a@example.com> RET=FULL')).toMatch(/^555 5\.5\.4/);
    expect(await client.command('MAIL FROM:<a@example.com> BODY=BINARYMIME')).toMatch(/^555 5\.5\.4/);
    expect(await client.command('MAIL FROM:<ü@example.com>')).toBe('553 5.6.7 Address requires SMTPUTF8');
    expect(await client.command('MAIL FROM:<ü@example.com> SMTPUTF8')).toBe('250 2.1.0 Ok');
    expect(await client.command('RCPT TO:<>')).toMatch(/^501 5\.5\.4/);
    expect(await client.command('RCPT TO:<x@example.com> NOTIFY=NEVER')).toMatch(/^555 5\.5\.4/);
    expect(await client.command('RCPT TO:<ü@example.com>')).toBe('250 2.1.5 Ok');
    expect(await client.command('DATA now')).toBe('501 5.5.4 Syntax: DATA');
    expect(await client.command('EHLO')).toBe('501 5.5.4 Syntax: EHLO hostname');
  });

  it('answers out-of-sequence commands with 503 5.5.1 and unknown ones with 500 5.5.2', async () => {
    const server = await start();
    const client = await session(server, false);
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('503 5.5.1 Send EHLO/HELO first');
    expect(await client.command('EHLO c')).toMatch(/^250 /m);
    expect(await client.command('RCPT TO:<b@example.com>')).toBe('503 5.5.1 Need MAIL before RCPT');
    expect(await client.command('DATA')).toBe('503 5.5.1 Need MAIL command');
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('250 2.1.0 Ok');
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('503 5.5.1 Nested MAIL command');
    expect(await client.command('XYZZY')).toBe('500 5.5.2 Command unrecognized');
    expect(await client.command('VRFY postmaster')).toBe('502 5.5.1 VRFY command is disabled');
    expect(await client.command('RSET')).toBe('250 2.0.0 Ok');
    expect(await client.command('RCPT TO:<b@example.com>')).toMatch(/^503 5\.5\.1/);
    expect(await client.command('NOOP')).toBe('250 2.0.0 Ok');
  });

  it('refuses DATA without a valid recipient with 554 5.5.1 and records rejected recipients', async () => {
    const server = await start({ relayPolicy: () => '554 5.7.1 Relay access denied' });
    const client = await session(server);
    expect(await client.command('MAIL FROM:<a@example.com>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<b@example.com>')).toBe('554 5.7.1 Relay access denied');
    expect(await client.command('DATA')).toBe('554 5.5.1 No valid recipients');
    expect(server.messages).toEqual([]);
  });

  it('consults relayPolicy with the session at each RCPT', async () => {
    const allowed = new Set<number>();
    const server = await start({
      relayPolicy: (info) => (allowed.has(info.remotePort) ? true : '554 5.7.1 Relay access denied: log in to POP3 first'),
    });
    const refused = await session(server);
    await refused.command('MAIL FROM:<a@example.com>');
    expect(await refused.command('RCPT TO:<b@example.com>')).toBe('554 5.7.1 Relay access denied: log in to POP3 first');
    const admitted = await RawSmtp.connect(server.port);
    allowed.add(admitted.socket.localPort ?? 0);
    await admitted.reply();
    await admitted.command('EHLO c');
    await admitted.command('MAIL FROM:<a@example.com>');
    expect(await admitted.command('RCPT TO:<ok@example.com>')).toBe('250 2.1.5 Ok');
    expect(await admitted.command('RCPT TO:<ok2@example.com>')).toBe('250 2.1.5 Ok');
  });

  it('records rejected recipients beside the accepted ones', async () => {
    const server = await start({ script: [{ command: 'RCPT', match: '<bad@example.com>', reply: '550 5.1.1 No such user' }] });
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    expect(await client.command('RCPT TO:<bad@example.com>')).toBe('550 5.1.1 No such user');
    expect(await client.command('RCPT TO:<good@example.com>')).toBe('250 2.1.5 Ok');
    await client.command('DATA');
    expect(await client.command('x\r\n.')).toMatch(/^250/);
    expect(server.messages[0]?.recipients).toEqual(['good@example.com']);
    expect(server.messages[0]?.rejectedRecipients).toEqual(['bad@example.com']);
  });

  it('records pipelined MAIL/RCPT/DATA as one batch and answers in order', async () => {
    const server = await start();
    const client = await session(server);
    client.write('MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n');
    expect(await client.reply()).toBe('250 2.1.0 Ok');
    expect(await client.reply()).toBe('250 2.1.5 Ok');
    expect(await client.reply()).toBe('250 2.1.5 Ok');
    expect(await client.reply()).toMatch(/^354/);
    client.write('body\r\n.\r\nQUIT\r\n');
    expect(await client.reply()).toMatch(/^250 2\.0\.0/);
    expect(await client.reply()).toBe('221 2.0.0 Bye');
    const info = server.sessions[0];
    expect(info?.batches).toEqual([
      ['EHLO client.test'],
      ['MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.com>', 'RCPT TO:<c@example.com>', 'DATA'],
      ['QUIT'],
    ]);
    expect(info?.commands).toEqual(['EHLO client.test', 'MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.com>', 'RCPT TO:<c@example.com>', 'DATA', 'QUIT']);
  });

  it('refuses a declared SIZE over the limit and an actual message over it with 552 5.3.4', async () => {
    const server = await start({ extensions: { size: 100 } });
    const client = await session(server);
    expect(await client.command('MAIL FROM:<a@example.com> SIZE=101')).toBe('552 5.3.4 Message size exceeds fixed maximum message size');
    expect(await client.command('MAIL FROM:<a@example.com> SIZE=100')).toBe('250 2.1.0 Ok');
    await client.command('RCPT TO:<b@example.com>');
    await client.command('DATA');
    client.write(`${'x'.repeat(150)}\r\n.\r\n`);
    expect(await client.reply()).toBe('552 5.3.4 Message size exceeds fixed maximum message size');
    expect(server.messages).toEqual([]);
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('250 2.1.0 Ok');
  });

  it('lets maxMessageSize override the advertised SIZE', async () => {
    const server = await start({ maxMessageSize: 10 });
    const client = await session(server);
    expect(await client.command('MAIL FROM:<a@example.com> SIZE=11')).toMatch(/^552 5\.3\.4/);
  });

  it('refuses a message with a bare LF with 550 5.5.2, and does not end DATA at LF.LF', async () => {
    const server = await start();
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.com>');
    await client.command('DATA');
    client.write('line\n.\nMAIL FROM:<smuggled@example.com>\r\n.\r\n');
    expect(await client.reply()).toBe('550 5.5.2 Bare <LF> received, CRLF required');
    expect(server.messages).toEqual([]);
    expect(server.sessions[0]?.bareLfSeen).toBe(true);
    expect(server.sessions[0]?.commands).not.toContain('MAIL FROM:<smuggled@example.com>');
  });

  it('accepts bare LF line ends when acceptBareLf is set', async () => {
    const server = await start({ acceptBareLf: true });
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.com>');
    await client.command('DATA');
    client.write('line\n.\n');
    expect(await client.reply()).toMatch(/^250 2\.0\.0/);
    expect(Buffer.from(server.messages[0]?.data ?? []).toString()).toBe('line\n');
    expect(server.sessions[0]?.bareLfSeen).toBe(true);
  });

  it('answers a command line over 2 KiB with 500 5.5.6 and carries on', async () => {
    const server = await start();
    const client = await session(server);
    expect(await client.command(`NOOP ${'x'.repeat(2100)}`)).toBe('500 5.5.6 Line too long');
    expect(await client.command('NOOP')).toBe('250 2.0.0 Ok');
  });

  it('refuses CR or NUL inside a command', async () => {
    const server = await start();
    const client = await session(server);
    expect(await client.command('NOOP a\rb')).toMatch(/^501 5\.5\.4/);
    expect(await client.command('NOOP a\0b')).toMatch(/^501 5\.5\.4/);
  });
});

describe('fake SMTP server: BDAT', () => {
  it('takes chunks after pipelined RCPTs and BDAT n LAST', async () => {
    const server = await start({ extensions: { chunking: true } });
    const client = await session(server);
    client.write('MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 5\r\nhel\r\nBDAT 3 LAST\r\nlo.');
    expect(await client.reply()).toBe('250 2.1.0 Ok');
    expect(await client.reply()).toBe('250 2.1.5 Ok');
    expect(await client.reply()).toBe('250 2.0.0 5 octets received');
    expect(await client.reply()).toMatch(/^250 2\.0\.0 Ok: 8 octets queued as Q/);
    const [message] = server.messages;
    expect(Buffer.from(message?.data ?? []).toString()).toBe('hel\r\nlo.');
    expect(Buffer.from(message?.content ?? []).toString()).toBe('hel\r\nlo.');
    expect(message?.via).toBe('BDAT');
    expect(server.sessions[0]?.batches[1]).toEqual(['MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.com>', 'BDAT 5', 'BDAT 3 LAST']);
  });

  it('accepts BDAT 0 LAST, refuses DATA after BDAT and BDAT without recipients', async () => {
    const server = await start({ extensions: { chunking: true } });
    const client = await session(server);
    expect(await bdat(client, 'BDAT 2', 'ab')).toBe('503 5.5.1 Need MAIL before BDAT');
    await client.command('MAIL FROM:<a@example.com>');
    expect(await bdat(client, 'BDAT 2', 'ab')).toBe('554 5.5.1 No valid recipients');
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.com>');
    expect(await bdat(client, 'BDAT 2', 'ab')).toMatch(/^250/);
    expect(await client.command('DATA')).toBe('503 5.5.1 DATA in the middle of BDAT');
    expect(await client.command('BDAT 0 LAST')).toMatch(/^250 2\.0\.0 Ok: 2 octets/);
    expect(await client.command('BDAT x')).toMatch(/^50[13]/);
  });

  it('refuses chunks over the size limit and fails the transaction', async () => {
    const server = await start({ extensions: { chunking: true, size: 4 } });
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.com>');
    expect(await bdat(client, 'BDAT 5 LAST', '12345')).toMatch(/^552 5\.3\.4/);
    expect(await bdat(client, 'BDAT 1 LAST', '1')).toMatch(/^503 5\.5\.1/);
    expect(server.messages).toEqual([]);
  });

  it('answers BDAT with 502 when CHUNKING is not advertised', async () => {
    const server = await start();
    const client = await session(server);
    expect(await client.command('BDAT 0 LAST')).toMatch(/^502 5\.5\.1/);
  });
});

describe('fake SMTP server: sessions', () => {
  it('serves several sessions at once, each with its own record', async () => {
    const server = await start();
    const clients = await Promise.all([1, 2, 3, 4].map(async () => session(server)));
    await Promise.all(
      clients.map(async (client, index) => {
        expect(await client.command(`MAIL FROM:<s${index}@example.com>`)).toMatch(/^250/);
        expect(await client.command(`RCPT TO:<r${index}@example.com>`)).toMatch(/^250/);
        expect(await client.command('DATA')).toMatch(/^354/);
        expect(await client.command(`message ${index}\r\n.`)).toMatch(/^250/);
      }),
    );
    expect(server.sessions).toHaveLength(4);
    expect(server.messages.map((m) => m.from).sort()).toEqual(['s0@example.com', 's1@example.com', 's2@example.com', 's3@example.com']);
    for (const message of server.messages) {
      expect(message.recipients).toEqual([message.from.replace(/^s/, 'r')]);
    }
  });

  it('close() destroys open connections, leaves none behind and is idempotent', async () => {
    const server = await start();
    const client = await session(server);
    await Promise.all([server.close(), server.close()]);
    await client.rest();
    expect(client.closed).toBe(true);
    await expect(RawSmtp.connect(server.port)).rejects.toThrow();
  });

  it('reports every line to onTranscript', async () => {
    const entries: { direction: string; text: string }[] = [];
    const server = await start({ onTranscript: (entry) => entries.push(entry) });
    const client = await session(server);
    await client.command('QUIT');
    expect(entries[0]).toEqual({ direction: 'server', text: '220 fake-smtp.test ESMTP sysmail fake SMTP server' });
    expect(entries).toContainEqual({ direction: 'client', text: 'EHLO client.test' });
    expect(entries.at(-1)).toEqual({ direction: 'server', text: '221 2.0.0 Bye' });
  });
});
