import { describe, expect, it } from 'vitest';
import { isTransientCode, parseStatusLine, Pop3ProtocolError } from '@sysmail/pop3-client';

const parse = (line: string) => parseStatusLine(Buffer.from(line));

describe('parseStatusLine', () => {
  it('parses +OK and -ERR with their text', () => {
    expect(parse('+OK 2 320')).toEqual({ type: 'ok', code: undefined, text: '2 320', line: '+OK 2 320' });
    expect(parse('-ERR no such message')).toMatchObject({ type: 'err', code: undefined, text: 'no such message' });
    expect(parse('+OK')).toMatchObject({ type: 'ok', text: '' });
  });

  it('extracts RFC 2449 response codes, hierarchical ones included', () => {
    expect(parse('-ERR [IN-USE] mailbox locked')).toMatchObject({ code: 'IN-USE', text: 'mailbox locked' });
    expect(parse('-ERR [SYS/TEMP] try later')).toMatchObject({ code: 'SYS/TEMP', text: 'try later' });
    expect(parse('-ERR [auth] bad password')).toMatchObject({ code: 'AUTH' });
    expect(parse('-ERR [LOGIN-DELAY] wait')).toMatchObject({ code: 'LOGIN-DELAY' });
    expect(parse('-ERR [X-VENDOR/SUB] odd')).toMatchObject({ code: 'X-VENDOR/SUB' });
  });

  it('leaves a bracket that is not a response code in the text', () => {
    expect(parse('-ERR [not a code] x')).toMatchObject({ code: undefined, text: '[not a code] x' });
    expect(parse('-ERR [] x')).toMatchObject({ code: undefined });
  });

  it('parses SASL continuations', () => {
    expect(parse('+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+')).toMatchObject({ type: 'continuation' });
    expect(parse('+ ')).toMatchObject({ type: 'continuation', text: '' });
    expect(parse('+')).toMatchObject({ type: 'continuation', text: '' });
  });

  it('refuses anything else with a protocol error', () => {
    for (const line of ['OK', '+OKAY', '* OK IMAP4 ready', '220 smtp ready', '', '-ERRx']) {
      expect(() => parse(line)).toThrow(Pop3ProtocolError);
    }
  });

  it('knows which codes are transient', () => {
    expect(isTransientCode('IN-USE')).toBe(true);
    expect(isTransientCode('LOGIN-DELAY')).toBe(true);
    expect(isTransientCode('SYS/TEMP')).toBe(true);
    expect(isTransientCode('SYS/PERM')).toBe(false);
    expect(isTransientCode('AUTH')).toBe(false);
    expect(isTransientCode(undefined)).toBe(false);
  });
});
