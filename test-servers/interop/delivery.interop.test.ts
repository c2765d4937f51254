/**
 * End-to-end delivery through Postfix, Dovecot LMTP and back over POP3: the
 * bytes, a Japanese notification composed by `composeMessage`, per-recipient
 * refusals in a pipelined envelope, and pipelined retrieval and deletion.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Pop3Client } from '@sysmail/pop3-client';
import { SmtpClient } from '@sysmail/smtp-client';
import { composeMessage } from '@sysmail/system-mail';
import { cell } from './support/matrix-cells.js';
import {
  TranscriptRecorder,
  emptyMailbox,
  fetchDelivered,
  headerField,
  newToken,
  popOptions,
  realUser,
  requireRealServers,
  simpleMessage,
  smtpOptions,
  splitMessage,
} from './support/harness.js';
import { decodeBody, decodeEncodedWords } from './support/mime-decoding.js';

const servers = requireRealServers();
const smtpClients: SmtpClient[] = [];
const popClients: Pop3Client[] = [];

afterEach(async () => {
  for (const client of smtpClients.splice(0)) client.close();
  await Promise.all(popClients.splice(0).map((client) => client.close()));
});

async function submit(recorder: TranscriptRecorder): Promise<SmtpClient> {
  const user = realUser(servers, 'ascii');
  const client = await SmtpClient.connect(smtpOptions(servers, servers.smtp.submission, 'starttls', recorder));
  smtpClients.push(client);
  await client.authenticate({ username: user.username, password: user.password });
  return client;
}

const tail = (bytes: Uint8Array, length: number): Buffer => Buffer.from(bytes).subarray(bytes.length - length);

describe('content', () => {
  test(`${cell('Delivery: Japanese subject and body (composeMessage)', 'SMTP', 'POP3')} a notification in Japanese arrives decodable and unchanged`, async ({ onTestFailed }) => {
    const sender = realUser(servers, 'ascii');
    const recipient = realUser(servers, 'euro');
    const token = newToken();
    const subject = '【電話メモ】山田様よりお電話がありました（折り返しお願いします）';
    const text = '鈴木さん\n\n山田様（株式会社サンプル）からお電話がありました。\n折り返しお電話をお願いします。\n電話番号：03-1234-5678\n\n— システムメール\n';
    const composed = composeMessage({
      from: { address: sender.address, name: 'システム管理者' },
      to: [recipient.address],
      subject,
      text,
      headers: { 'X-Interop-Token': token },
    });
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP Japanese');
    const client = await submit(recorder);
    const result = await client.send({ from: composed.envelope.from, to: composed.envelope.to }, composed.bytes);
    expect(result.accepted).toEqual([recipient.address]);
    await client.quit();

    const delivered = await fetchDelivered(servers, recipient, token);
    expect(tail(delivered, composed.bytes.length)).toEqual(Buffer.from(composed.bytes));
    const { header, body } = splitMessage(delivered);
    expect(decodeEncodedWords(headerField(header, 'Subject') ?? '')).toBe(subject);
    expect(decodeEncodedWords(headerField(header, 'From') ?? '')).toBe(`システム管理者 <${sender.address}>`);
    expect(headerField(header, 'Message-ID')).toBe(composed.messageId);
    expect(decodeBody(body, headerField(header, 'Content-Transfer-Encoding')).replace(/\r\n/g, '\n')).toBe(text);
  });

  test(`${cell('Delivery: bytes intact end to end', 'SMTP', 'POP3')} dots, 8-bit UTF-8, long lines and bare line ends come back as sent (line ends normalised)`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'latin1');
    const token = newToken();
    const body = [
      '.leading dot',
      '.',
      '..two dots',
      'ünïcödé 8-bit body — 日本語',
      'x'.repeat(990),
      'bare LF next\nbare CR next\rend',
      '.',
      '',
    ].join('\r\n');
    const message = simpleMessage(user.address, user.address, token, body);
    const expected = Buffer.from(Buffer.from(message).toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP bytes');
    const client = await SmtpClient.connect(smtpOptions(servers, servers.smtp.smtps, 'tls', recorder));
    smtpClients.push(client);
    await client.authenticate({ username: user.username, password: user.password, mechanism: 'PLAIN' });
    const result = await client.send({ from: user.address, to: [user.address] }, message);
    expect(result.accepted).toEqual([user.address]);
    await client.quit();
    const delivered = await fetchDelivered(servers, user, token);
    expect(tail(delivered, expected.length)).toEqual(expected);
  });

  test(`${cell('Delivery: pipelined envelope, partial refusal', 'SMTP')} refused recipients are reported one by one and the others get the message`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'ascii');
    const unknown = `nobody@${servers.domain}`;
    const foreign = 'someone@example.org';
    const token = newToken();
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP partial refusal');
    const client = await SmtpClient.connect(smtpOptions(servers, servers.smtp.open, 'starttls', recorder));
    smtpClients.push(client);
    expect(client.capabilities.pipelining).toBe(true);
    const result = await client.send({ from: user.address, to: [unknown, user.address, foreign] }, simpleMessage(user.address, user.address, token));
    expect(result.accepted).toEqual([user.address]);
    expect(result.rejected.map((r) => [r.address, r.reply.code, r.reply.enhancedCode])).toEqual([
      [unknown, 550, '5.1.1'],
      [foreign, 554, '5.7.1'],
    ]);
    await client.quit();
    // One write carried MAIL and every RCPT (RFC 2920): no reply was read between them.
    expect(recorder.text()).toMatch(/C: MAIL FROM:[^\n]*\nC: RCPT TO:[^\n]*\nC: RCPT TO:[^\n]*\nC: RCPT TO:/);
    await fetchDelivered(servers, user, token);
  });

  test(`${cell('Delivery: SMTPUTF8 sender, DSN parameters', 'SMTP')} RET/ENVID/NOTIFY/ORCPT are accepted and the message delivered`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'ascii');
    const token = newToken();
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP DSN');
    const client = await submit(recorder);
    expect(client.capabilities.dsn).toBe(true);
    const result = await client.send(
      { from: user.address, to: [user.address], dsn: { ret: 'HDRS', envid: token, notify: ['FAILURE', 'DELAY'], orcpt: true } },
      simpleMessage(user.address, user.address, token),
    );
    expect(result.accepted).toEqual([user.address]);
    await client.quit();
    expect(recorder.text()).toMatch(/C: MAIL FROM:<ascii@test\.sysmail> [^\n]*RET=HDRS[^\n]*ENVID=/);
    expect(recorder.text()).toMatch(/C: RCPT TO:<ascii@test\.sysmail> [^\n]*NOTIFY=FAILURE,DELAY[^\n]*ORCPT=rfc822;ascii@test\.sysmail/);
    await fetchDelivered(servers, user, token);
  });

  test(`${cell('Delivery: SMTPUTF8 sender, DSN parameters', 'SMTP')} a UTF-8 reverse path goes out with SMTPUTF8 and Postfix accepts it`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'ascii');
    const sender = `通知-ü@${servers.domain}`;
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP SMTPUTF8');
    const client = await submit(recorder);
    expect(client.capabilities.smtpUtf8).toBe(true);
    const result = await client.send({ from: sender, to: [user.address] }, simpleMessage(user.address, user.address, newToken()));
    expect(result.accepted).toEqual([user.address]);
    expect(result.reply.code).toBe(250);
    await client.quit();
    expect(recorder.text()).toMatch(/C: MAIL FROM:<通知-ü@test\.sysmail> [^\n]*SMTPUTF8/);
    // Not read back: Dovecot 2.3's LMTP does not offer SMTPUTF8, so Postfix bounces it after
    // accepting it (5.6.7); see the interoperability notes in test-servers/real/README.md.
  });
});

describe('POP3 commands', () => {
  test(`${cell('Commands: STAT, LIST, UIDL, TOP, NOOP, RSET, DELE', 'POP3')} Dovecot's answers parse, and RSET undoes DELE`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'latin1');
    const token = newToken();
    const message = simpleMessage(user.address, user.address, token, 'one\r\ntwo\r\nthree\r\n');
    const smtpRecorder = new TranscriptRecorder(onTestFailed, 'SMTP one message');
    const client = await SmtpClient.connect(smtpOptions(servers, servers.smtp.open, 'starttls', smtpRecorder));
    smtpClients.push(client);
    await client.send({ from: user.address, to: [user.address] }, message);
    await client.quit();
    await fetchDelivered(servers, user, token, { keep: true });

    const recorder = new TranscriptRecorder(onTestFailed, 'POP3 commands');
    const pop = await Pop3Client.connect(popOptions(servers, servers.pop3.pop3s, 'tls', recorder));
    popClients.push(pop);
    await pop.login({ username: user.username, password: user.password, method: 'apop' });
    const stat = await pop.stat();
    const list = await pop.list();
    expect(list).toHaveLength(stat.count);
    expect(list.reduce((sum, m) => sum + m.size, 0)).toBe(stat.size);
    const uids = await pop.uidl();
    expect(uids.map((u) => u.number)).toEqual(list.map((m) => m.number));
    for (const { uid } of uids) expect(uid).toMatch(/^[0-9a-f]{16}$/i);
    await pop.noop();
    let ours: number | undefined;
    for (const { number } of list) {
      if (headerField(splitMessage(await pop.top(number, 0)).header, 'X-Interop-Token') === token) ours = number;
    }
    expect(ours).toBeDefined();
    const id = ours ?? 0;
    const entry = list.find((m) => m.number === id);
    expect(await pop.list(id)).toEqual(entry);
    expect(await pop.uidl(id)).toEqual(uids.find((u) => u.number === id));
    // TOP n 1: the header and the first body line only.
    expect(Buffer.from(splitMessage(await pop.top(id, 1)).body).toString()).toBe('one\r\n');
    // LIST counts the octets RETR sends (CRLF line ends, before dot-stuffing).
    expect((await pop.retrieve(id)).length).toBe(entry?.size);
    await pop.delete(id);
    expect((await pop.stat()).count).toBe(stat.count - 1);
    await pop.reset();
    expect((await pop.stat()).count).toBe(stat.count);
    await pop.delete(id);
    await pop.quit();
  });
});

describe('pipelined POP3', () => {
  const user = realUser(servers, 'other');

  beforeAll(async () => {
    await emptyMailbox(servers, user);
  });

  test(`${cell('Pipelined retrieveMany / deleteMany', 'POP3')} five messages retrieved and deleted in one window each`, async ({ onTestFailed }) => {
    const tokens = Array.from({ length: 5 }, () => newToken());
    const messages = tokens.map((token, i) => simpleMessage(user.address, user.address, token, `message ${i}\r\n${'line\r\n'.repeat(i * 1000)}`));
    const smtpRecorder = new TranscriptRecorder(onTestFailed, 'SMTP five messages');
    const client = await SmtpClient.connect(smtpOptions(servers, servers.smtp.open, 'starttls', smtpRecorder));
    smtpClients.push(client);
    for (const message of messages) await client.send({ from: user.address, to: [user.address] }, message);
    await client.quit();

    const recorder = new TranscriptRecorder(onTestFailed, 'POP3 pipelined');
    let ids: number[] = [];
    const deadline = Date.now() + 30_000;
    let pop: Pop3Client;
    for (;;) {
      pop = await Pop3Client.connect(popOptions(servers, servers.pop3.pop3s, 'tls', recorder));
      popClients.push(pop);
      await pop.login({ username: user.username, password: user.password, method: 'user' });
      ids = (await pop.list()).map((m) => m.number);
      if (ids.length >= tokens.length || Date.now() > deadline) break;
      await pop.quit();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(ids).toHaveLength(tokens.length);
    expect((await pop.capabilities()).pipelining).toBe(true);
    const retrieved = await pop.retrieveMany(ids);
    const byToken = new Map(retrieved.map((m) => [headerField(splitMessage(m).header, 'X-Interop-Token'), m]));
    tokens.forEach((token, i) => {
      const sent = messages[i] ?? new Uint8Array();
      expect(tail(byToken.get(token) ?? new Uint8Array(), sent.length)).toEqual(Buffer.from(sent));
    });
    const replies = await pop.deleteMany(ids);
    expect(replies).toHaveLength(ids.length);
    for (const reply of replies) expect(reply.line).toMatch(/^\+OK/);
    // Every RETR went out before the first reply was read.
    expect(recorder.text()).toMatch(/C: RETR 1\nC: RETR 2\nC: RETR 3\nC: RETR 4\nC: RETR 5/);
    await pop.quit();

    const check = await Pop3Client.connect(popOptions(servers, servers.pop3.pop3s, 'tls'));
    popClients.push(check);
    await check.login({ username: user.username, password: user.password, method: 'user' });
    expect((await check.stat()).count).toBe(0);
    await check.quit();
  });
});
