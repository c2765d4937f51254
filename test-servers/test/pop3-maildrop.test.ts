import { afterEach, describe, expect, it } from 'vitest';
import { startFakePop3Server, type FakePop3Message, type FakePop3Server, type FakePop3ServerOptions } from '../src/index.js';
import { RawPop3 } from './pop3-raw-client.js';

const servers: FakePop3Server[] = [];
afterEach(async () => {
  RawPop3.closeAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const first = 'From: a@example.com\r\nSubject: one\r\n\r\nline 1\r\n.starts with a dot\r\n..two dots\r\nline 4\r\n';
const second = 'Subject: two\r\n\r\nno final line end';
const third = 'Subject: three\r\n\r\nbody\r\n';

async function start(options: FakePop3ServerOptions = {}): Promise<FakePop3Server> {
  const server = await startFakePop3Server({ users: { alice: 'pw', bob: 'pw' }, mailbox: [first, second, third], ...options });
  servers.push(server);
  return server;
}

async function login(server: FakePop3Server, user = 'alice'): Promise<RawPop3> {
  const client = await RawPop3.connect(server.port);
  await client.line();
  await client.command(`USER ${user}`);
  expect(await client.command('PASS pw')).toMatch(/^\+OK/);
  return client;
}

const unstuff = (body: Buffer): string => body.toString('utf8').replace(/^\./gm, '');

describe('fake POP3 server: TRANSACTION state', () => {
  it('answers STAT, LIST and LIST n with sizes of the messages as served', async () => {
    const client = await login(await start());
    const sizes = [first.length, second.length + 2, third.length];
    expect(await client.command('STAT')).toBe(`+OK 3 ${sizes[0]! + sizes[1]! + sizes[2]!}`);
    expect(await client.command('LIST')).toMatch(/^\+OK 3 messages/);
    expect(await client.lines()).toEqual(sizes.map((size, i) => `${i + 1} ${size}`));
    expect(await client.command('LIST 2')).toBe(`+OK 2 ${sizes[1]}`);
    expect(await client.command('LIST 4')).toMatch(/^-ERR no such message/);
    expect(await client.command('LIST 0')).toBe('-ERR invalid message number');
    expect(await client.command('NOOP')).toBe('+OK');
  });

  it('byte-stuffs lines starting with a dot, ends the body with CRLF and terminates with .CRLF', async () => {
    const client = await login(await start());
    expect(await client.command('RETR 1')).toBe(`+OK ${first.length} octets`);
    const body = await client.body();
    expect(body.toString()).toContain('\r\n..starts with a dot\r\n...two dots\r\n');
    expect(unstuff(body)).toBe(first);
    expect(await client.command('RETR 2')).toMatch(/^\+OK/);
    expect((await client.body()).toString()).toBe(`${second}\r\n`);
  });

  it('answers TOP with the header, the blank line and n body lines', async () => {
    const client = await login(await start());
    expect(await client.command('TOP 1 2')).toMatch(/^\+OK/);
    expect(unstuff(await client.body())).toBe('From: a@example.com\r\nSubject: one\r\n\r\nline 1\r\n.starts with a dot\r\n');
    expect(await client.command('TOP 1 0')).toMatch(/^\+OK/);
    expect(unstuff(await client.body())).toBe('From: a@example.com\r\nSubject: one\r\n\r\n');
    expect(await client.command('TOP 3 99')).toMatch(/^\+OK/);
    expect(unstuff(await client.body())).toBe(third);
    expect(await client.command('TOP 1')).toMatch(/^-ERR/);
  });

  it('gives unique ids that stay the same across sessions and deletions', async () => {
    const server = await start();
    const client = await login(server);
    await client.command('UIDL');
    const ids = await client.lines();
    expect(ids).toHaveLength(3);
    expect(new Set(ids.map((line) => line.split(' ')[1])).size).toBe(3);
    for (const line of ids) expect(line.split(' ')[1]).toMatch(/^[\x21-\x7e]{1,70}$/);
    expect(await client.command('UIDL 3')).toBe(`+OK ${ids[2]}`);
    await client.command('DELE 1');
    await client.command('QUIT');
    const again = await login(server);
    await again.command('UIDL');
    expect((await again.lines()).map((line) => line.split(' ')[1])).toEqual(ids.slice(1).map((line) => line.split(' ')[1]));
  });

  it('marks with DELE, commits only on QUIT (UPDATE state) and reports the count', async () => {
    const server = await start();
    const client = await login(server);
    expect(await client.command('DELE 2')).toBe('+OK message 2 deleted');
    expect(await client.command('DELE 2')).toBe('-ERR message 2 already deleted');
    expect(await client.command('RETR 2')).toMatch(/^-ERR no such message/);
    expect(await client.command('STAT')).toBe(`+OK 2 ${first.length + third.length}`);
    expect(server.mailboxOf('alice')).toHaveLength(3);
    expect(server.sessions[0]?.deleted).toEqual([2]);
    expect(await client.command('QUIT')).toBe('+OK fake-pop3.test POP3 server signing off (1 messages deleted, 2 left)');
    await client.untilClosed();
    expect(server.mailboxOf('alice').map((m) => Buffer.from(m).toString())).toEqual([first, third]);
  });

  it('undoes deletions on RSET, and on a connection dropped without QUIT', async () => {
    const server = await start();
    const client = await login(server);
    await client.command('DELE 1');
    expect(await client.command('RSET')).toMatch(/^\+OK maildrop has 3 messages/);
    expect(server.sessions[0]?.deleted).toEqual([]);
    expect(await client.command('RETR 1')).toMatch(/^\+OK/);
    await client.body();
    await client.command('DELE 3');
    client.socket.destroy();
    const again = await login(server);
    expect(await again.command('STAT')).toMatch(/^\+OK 3 /);
    expect(server.mailboxOf('alice')).toHaveLength(3);
  });

  it('keeps per-user maildrops apart', async () => {
    const server = await start({ mailboxes: { alice: [first], bob: [second, third] } });
    expect(await (await login(server, 'alice')).command('STAT')).toMatch(/^\+OK 1 /);
    expect(await (await login(server, 'bob')).command('STAT')).toMatch(/^\+OK 2 /);
    expect(server.mailboxOf('carol')).toEqual([]);
  });

  it('serves an empty maildrop and an empty message', async () => {
    const client = await login(await start({ mailbox: [''] }));
    expect(await client.command('RETR 1')).toBe('+OK 0 octets');
    expect((await client.body()).length).toBe(0);
  });

  it('streams a generated message, stuffing dots across chunk boundaries', async () => {
    const line = Buffer.from('.dotted line of a large message\r\n');
    const chunk = Buffer.concat(Array.from({ length: 1000 }, () => line));
    const header = Buffer.from('Subject: big\r\n\r\n');
    const generated: FakePop3Message = {
      size: header.length + chunk.length * 40 + 3,
      uid: 'big-one',
      *chunks() {
        yield header;
        for (let i = 0; i < 40; i++) yield chunk;
        yield Buffer.from('.\r\n');
      },
    };
    const server = await start({ mailbox: [generated] });
    const client = await login(server);
    expect(await client.command('UIDL 1')).toBe('+OK 1 big-one');
    expect(await client.command('RETR 1')).toBe(`+OK ${generated.size} octets`);
    const body = await client.body();
    expect(body.length).toBe(generated.size + 40_001);
    expect(unstuff(body)).toBe(Buffer.concat([...generated.chunks()]).toString());
    expect(await client.command('TOP 1 0')).toMatch(/^\+OK/);
    expect(unstuff(await client.body())).toBe(header.toString());
    expect(await client.command('TOP 1 1')).toMatch(/^\+OK/);
    expect(unstuff(await client.body())).toBe(`${header.toString()}${line.toString()}`);
    expect(server.mailboxOf('alice')[0]?.length).toBe(generated.size);
  });

  it('sends a large in-memory message whole, with backpressure', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 'x');
    for (let i = 998; i < big.length; i += 1000) big.write('\r\n', i - 1);
    const client = await login(await start({ mailbox: [big] }));
    client.send('RETR 1\r\nRETR 1\r\n');
    for (let round = 0; round < 2; round++) {
      expect(await client.line()).toBe(`+OK ${big.length + 2} octets`);
      const body = await client.body();
      expect(body.length).toBe(big.length + 2);
    }
  });

  it('records commands pipelined in one write as one batch, answered in order', async () => {
    const server = await start({ mailbox: [third] });
    const client = await RawPop3.connect(server.port);
    await client.line();
    client.send('USER alice\r\nPASS pw\r\nSTAT\r\nLIST\r\nQUIT\r\n');
    expect(await client.line()).toBe('+OK send PASS');
    expect(await client.line()).toMatch(/^\+OK alice/);
    expect(await client.line()).toBe(`+OK 1 ${third.length}`);
    expect(await client.line()).toMatch(/^\+OK 1 messages/);
    expect(await client.lines()).toEqual([`1 ${third.length}`]);
    expect(await client.line()).toMatch(/^\+OK .*signing off/);
    expect(server.sessions[0]?.batches).toEqual([['USER alice', 'PASS <redacted>', 'STAT', 'LIST', 'QUIT']]);
    await client.command('NOOP').catch(() => undefined);
    const two = await RawPop3.connect(server.port);
    await two.line();
    await two.command('NOOP');
    await two.command('CAPA');
    await two.lines();
    expect(server.sessions[1]?.batches).toEqual([['NOOP'], ['CAPA']]);
  });
});
