import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakePop3Server, type FakePop3Login, type FakePop3Server, type FakePop3ServerOptions } from '../src/index.js';
import { RawPop3 } from './pop3-raw-client.js';

const servers: FakePop3Server[] = [];
afterEach(async () => {
  RawPop3.closeAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: FakePop3ServerOptions = {}): Promise<FakePop3Server> {
  const server = await startFakePop3Server({ users: { alice: 'secret pass' }, mailbox: ['Subject: hi\r\n\r\nhello\r\n'], ...options });
  servers.push(server);
  return server;
}

async function connect(server: FakePop3Server): Promise<{ client: RawPop3; greeting: string }> {
  const client = await RawPop3.connect(server.port);
  return { client, greeting: await client.line() };
}

const apopDigest = (timestamp: string, password: string): string => createHash('md5').update(timestamp + password).digest('hex');

describe('fake POP3 server: greeting', () => {
  it('carries an RFC 1939 APOP timestamp <pid.clock@hostname> by default', async () => {
    const { greeting } = await connect(await start({ hostname: 'pop.example' }));
    expect(greeting).toMatch(/^\+OK .*<\d+\.\d+\.\d+@pop\.example>$/);
  });

  it('has no timestamp without APOP, and then refuses APOP', async () => {
    const { client, greeting } = await connect(await start({ apop: false }));
    expect(greeting).toMatch(/^\+OK /);
    expect(greeting).not.toContain('<');
    expect(await client.command(`APOP alice ${'0'.repeat(32)}`)).toBe('-ERR unknown command');
  });

  it('uses an explicit (even malformed) timestamp and a whole custom greeting', async () => {
    expect((await connect(await start({ apopTimestamp: '<nonsense>' }))).greeting).toMatch(/^\+OK .* <nonsense>$/);
    expect((await connect(await start({ greeting: '+OK hello there' }))).greeting).toBe('+OK hello there');
  });
});

describe('fake POP3 server: USER/PASS and APOP', () => {
  it('logs in with USER/PASS, reports the login to onLogin and records it', async () => {
    const seen: FakePop3Login[] = [];
    const server = await start({ onLogin: (login) => seen.push(login) });
    const { client } = await connect(server);
    expect(await client.command('USER alice')).toBe('+OK send PASS');
    expect(await client.command('PASS secret pass')).toMatch(/^\+OK .*1 messages/);
    expect(seen).toEqual([{ username: 'alice', method: 'user', remoteAddress: '127.0.0.1', at: expect.any(Number) }]);
    expect(server.logins).toEqual(seen);
    expect(server.sessions[0]).toMatchObject({ user: 'alice', method: 'user', commands: ['USER alice', 'PASS <redacted>'] });
  });

  it('answers a wrong password with -ERR [AUTH] and stays in AUTHORIZATION', async () => {
    const server = await start();
    const { client } = await connect(server);
    await client.command('USER alice');
    expect(await client.command('PASS wrong')).toBe('-ERR [AUTH] invalid user name or password');
    expect(await client.command('STAT')).toMatch(/^-ERR/);
    expect(await client.command('PASS secret pass')).toBe('-ERR send USER first');
    expect(server.logins).toEqual([]);
  });

  it('checks the APOP MD5 digest of timestamp + password', async () => {
    const server = await start();
    const { client, greeting } = await connect(server);
    const timestamp = /<[^>]+>/.exec(greeting)?.[0] ?? '';
    expect(await client.command(`APOP alice ${apopDigest(timestamp, 'wrong')}`)).toBe('-ERR [AUTH] authentication failed');
    expect(await client.command(`APOP alice ${apopDigest(timestamp, 'secret pass')}`)).toMatch(/^\+OK/);
    expect(server.sessions[0]?.commands).toEqual(['APOP alice <redacted>', 'APOP alice <redacted>']);
    expect(server.logins[0]?.method).toBe('apop');
  });

  it('answers -ERR [IN-USE] for a locked maildrop', async () => {
    const { client } = await connect(await start({ lockedUsers: ['alice'] }));
    await client.command('USER alice');
    expect(await client.command('PASS secret pass')).toBe('-ERR [IN-USE] mailbox locked');
  });

  it('refuses every login command before TLS when TLS is required', async () => {
    const { client } = await connect(await start({ requireTls: true, stls: true, saslMechanisms: ['PLAIN'] }));
    for (const command of ['USER alice', 'PASS x', `APOP alice ${'0'.repeat(32)}`, 'AUTH PLAIN']) {
      expect(await client.command(command)).toBe('-ERR [AUTH] TLS required');
    }
  });

  it('leaves response codes out when RESP-CODES is off', async () => {
    const { client } = await connect(await start({ respCodes: false }));
    expect(await client.command('CAPA')).toMatch(/^\+OK/);
    expect(await client.lines()).not.toContain('RESP-CODES');
    await client.command('USER alice');
    expect(await client.command('PASS wrong')).toBe('-ERR invalid user name or password');
  });

  it('can withhold USER/PASS', async () => {
    const { client } = await connect(await start({ userPass: false }));
    await client.command('CAPA');
    expect(await client.lines()).not.toContain('USER');
    expect(await client.command('USER alice')).toBe('-ERR unknown command');
  });
});

describe('fake POP3 server: CAPA and command rules', () => {
  it('lists the RFC 2449 capabilities it implements', async () => {
    const { client } = await connect(await start({ stls: true, saslMechanisms: ['plain', 'CRAM-MD5', 'SCRAM-SHA-256-PLUS'] }));
    expect(await client.command('CAPA')).toBe('+OK Capability list follows');
    expect(await client.lines()).toEqual([
      'TOP',
      'UIDL',
      'USER',
      'SASL PLAIN CRAM-MD5',
      'STLS',
      'PIPELINING',
      'RESP-CODES',
      'AUTH-RESP-CODE',
      'IMPLEMENTATION sysmail-fake-pop3',
    ]);
  });

  it('answers CAPA with -ERR when told to, and leaves PIPELINING out when told to', async () => {
    const { client } = await connect(await start({ capa: false }));
    expect(await client.command('CAPA')).toBe('-ERR unknown command');
    const other = (await connect(await start({ pipelining: false }))).client;
    await other.command('CAPA');
    expect(await other.lines()).not.toContain('PIPELINING');
  });

  it('refuses unknown commands, over-long lines, bad characters and commands of the wrong state', async () => {
    const { client } = await connect(await start());
    expect(await client.command('XYZZY')).toBe('-ERR unknown command');
    expect(await client.command(`NOOP ${'x'.repeat(251)}`)).toBe('-ERR command line too long');
    expect(await client.command('NOOP\0')).toBe('-ERR invalid characters in command');
    expect(await client.command('RETR 1')).toBe('-ERR command not valid in this state');
    await client.command('USER alice');
    await client.command('PASS secret pass');
    expect(await client.command('USER alice')).toBe('-ERR command not valid in this state');
    expect(await client.command('stat')).toMatch(/^\+OK 1 \d+$/);
  });

  it('accepts a 255-octet command line (RFC 2449 limit, CRLF included)', async () => {
    const { client } = await connect(await start());
    expect(await client.command(`USER ${'a'.repeat(248)}`)).toBe('+OK send PASS');
  });

  it('closes on QUIT in the AUTHORIZATION state', async () => {
    const server = await start();
    const { client } = await connect(server);
    expect(await client.command('QUIT')).toBe('+OK fake-pop3.test POP3 server signing off');
    await client.untilClosed();
    expect(server.sessions[0]?.quitAt).toEqual(expect.any(Number));
  });
});
