import { describe, expect, test } from 'vitest';
import { parseCapabilities, SmtpArgumentError, SmtpCapabilityError, SmtpReplyError, type SmtpReply } from '../src/index.js';
import { judgeEnvelope, planTransaction } from '../src/protocol/transaction.js';

const caps = (...lines: string[]) => parseCapabilities({ code: 250, lines: ['mx', ...lines], text: '' });
const full = caps('PIPELINING', 'SIZE 1000', '8BITMIME', 'SMTPUTF8', 'DSN');
const plain = { size: undefined, eightBit: false };
const reply = (code: number): SmtpReply => ({ code, lines: ['x'], text: 'x' });

describe('planTransaction', () => {
  test('builds MAIL and RCPT lines, pipelined when offered', () => {
    const plan = planTransaction({ from: 'a@example.com', to: ['b@example.com', 'c@example.com'] }, full, plain);
    expect(plan).toEqual({
      mail: 'MAIL FROM:<a@example.com>',
      rcpts: ['RCPT TO:<b@example.com>', 'RCPT TO:<c@example.com>'],
      recipients: ['b@example.com', 'c@example.com'],
      framing: 'data',
      pipelined: true,
    });
    expect(planTransaction({ from: 'a@example.com', to: ['b@example.com'] }, caps(), plain).pipelined).toBe(false);
  });

  test('sends the null reverse path', () => {
    expect(planTransaction({ from: '', to: ['b@example.com'] }, full, plain).mail).toBe('MAIL FROM:<>');
  });

  test('adds SIZE, BODY=8BITMIME and SMTPUTF8 when needed and offered', () => {
    const plan = planTransaction({ from: 'josé@example.com', to: ['b@example.com'] }, full, { size: 500, eightBit: true });
    expect(plan.mail).toBe('MAIL FROM:<josé@example.com> SIZE=500 BODY=8BITMIME SMTPUTF8');
  });

  test('sends SIZE= whenever SIZE is advertised, even without a limit', () => {
    expect(planTransaction({ from: 'a@example.com', to: ['b@example.com'] }, caps('SIZE'), { size: 10 ** 9, eightBit: false }).mail).toBe(
      'MAIL FROM:<a@example.com> SIZE=1000000000',
    );
  });

  test('uses BDAT when CHUNKING is offered', () => {
    expect(planTransaction({ from: 'a@example.com', to: ['b@example.com'] }, caps('CHUNKING'), plain).framing).toBe('bdat');
  });

  test('adds DSN parameters, xtext-encoded, only when DSN is offered', () => {
    const envelope = { from: 'a@example.com', to: ['b+x@example.com'], dsn: { ret: 'HDRS', envid: 'id 1', notify: ['SUCCESS', 'FAILURE'], orcpt: true } } as const;
    const plan = planTransaction(envelope, full, plain);
    expect(plan.mail).toBe('MAIL FROM:<a@example.com> RET=HDRS ENVID=id+201');
    expect(plan.rcpts).toEqual(['RCPT TO:<b+x@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@example.com']);
    expect(planTransaction(envelope, caps(), plain).mail).toBe('MAIL FROM:<a@example.com>');
  });

  test('refuses NOTIFY=NEVER combined with another value', () => {
    expect(() => planTransaction({ from: 'a@example.com', to: ['b@example.com'], dsn: { notify: ['NEVER', 'DELAY'] } }, full, plain)).toThrow(SmtpArgumentError);
  });

  test('refuses a message larger than the SIZE limit before anything is sent', () => {
    expect(() => planTransaction({ from: 'a@example.com', to: ['b@example.com'] }, full, { size: 1001, eightBit: false })).toThrow(SmtpCapabilityError);
  });

  test('refuses 8-bit content without 8BITMIME and non-ASCII addresses without SMTPUTF8', () => {
    expect(() => planTransaction({ from: 'a@example.com', to: ['b@example.com'] }, caps(), { size: 1, eightBit: true })).toThrow(/8BITMIME/);
    expect(() => planTransaction({ from: 'a@example.com', to: ['b@example.com'], eightBit: true }, caps(), plain)).toThrow(/8BITMIME/);
    expect(() => planTransaction({ from: 'a@example.com', to: ['ü@example.com'] }, caps('8BITMIME'), plain)).toThrow(/SMTPUTF8/);
  });

  test('refuses an empty recipient list and injected line breaks', () => {
    expect(() => planTransaction({ from: 'a@example.com', to: [] }, full, plain)).toThrow(SmtpArgumentError);
    expect(() => planTransaction({ from: 'a@example.com\r\nRSET', to: ['b@example.com'] }, full, plain)).toThrow(/CR, LF or NUL/);
    expect(() => planTransaction({ from: 'a@example.com', to: ['b@example.com'], dsn: { envid: 'x\ny' } }, full, plain)).toThrow(/CR, LF or NUL/);
  });
});

describe('judgeEnvelope', () => {
  const plan = planTransaction({ from: 'a@example.com', to: ['b@example.com', 'c@example.com'] }, full, plain);

  test('reports accepted and refused recipients', () => {
    const outcome = judgeEnvelope(plan.recipients, reply(250), [reply(550), reply(250)]);
    expect(outcome.accepted).toEqual(['c@example.com']);
    expect(outcome.rejected.map((r) => r.address)).toEqual(['b@example.com']);
    expect(outcome.failure).toBeUndefined();
  });

  test('fails in phase rcpt when every recipient is refused, transient for 4xx', () => {
    const outcome = judgeEnvelope(plan.recipients, reply(250), [reply(550), reply(450)]);
    expect(outcome.failure).toBeInstanceOf(SmtpReplyError);
    expect(outcome.failure?.phase).toBe('rcpt');
    expect(outcome.failure?.transient).toBe(true);
    expect(outcome.failure?.rejectedRecipients).toHaveLength(2);
  });

  test('fails in phase mail when MAIL is refused', () => {
    const outcome = judgeEnvelope(plan.recipients, reply(451), []);
    expect(outcome.failure?.phase).toBe('mail');
    expect(outcome.failure?.transient).toBe(true);
  });
});
