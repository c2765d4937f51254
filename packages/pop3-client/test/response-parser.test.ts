import { describe, expect, it } from 'vitest';
import { MAX_BODY_LINE_BYTES, MAX_STATUS_LINE_BYTES, Pop3ProtocolError, ResponseParser, type BodyEvent } from '@sysmail/pop3-client';

function body(parser: ResponseParser): { data: string; ended: boolean } {
  let data = '';
  for (;;) {
    const event: BodyEvent | undefined = parser.readBody();
    if (event === undefined) return { data, ended: false };
    if (event.type === 'end') return { data, ended: true };
    data += Buffer.from(event.bytes).toString('latin1');
  }
}

describe('ResponseParser status lines', () => {
  it('waits for a whole line and accepts CRLF or bare LF', () => {
    const parser = new ResponseParser();
    parser.feed(Buffer.from('+OK hel'));
    expect(parser.readStatus()).toBeUndefined();
    parser.feed(Buffer.from('lo\r\n-ERR x\n'));
    expect(parser.readStatus()).toMatchObject({ type: 'ok', text: 'hello' });
    expect(parser.readStatus()).toMatchObject({ type: 'err', text: 'x' });
    expect(parser.readStatus()).toBeUndefined();
    expect(parser.idle).toBe(true);
  });

  it('refuses a status line over 4 KiB, complete or not', () => {
    const complete = new ResponseParser();
    complete.feed(Buffer.from(`+OK ${'a'.repeat(MAX_STATUS_LINE_BYTES)}\r\n`));
    expect(() => complete.readStatus()).toThrow(Pop3ProtocolError);
    const endless = new ResponseParser();
    endless.feed(Buffer.alloc(MAX_STATUS_LINE_BYTES + 10, 0x61));
    expect(() => endless.readStatus()).toThrow(/longer than/);
  });

  it('accepts a status line of exactly 4 KiB', () => {
    const parser = new ResponseParser();
    parser.feed(Buffer.from(`+OK ${'a'.repeat(MAX_STATUS_LINE_BYTES - 4)}\r\n`));
    expect(parser.readStatus()?.type).toBe('ok');
  });
});

describe('ResponseParser bodies', () => {
  it('un-stuffs dots and stops at the terminator, keeping what follows', () => {
    const parser = new ResponseParser();
    parser.feed(Buffer.from('+OK\r\n..leading\r\nmid.dle\r\n...\r\n.\r\n+OK next\r\n'));
    expect(parser.readStatus()?.type).toBe('ok');
    parser.beginBody();
    expect(body(parser)).toEqual({ data: '.leading\r\nmid.dle\r\n..\r\n', ended: true });
    expect(parser.bufferedBytes).toBe('+OK next\r\n'.length);
    expect(parser.readStatus()).toMatchObject({ text: 'next' });
  });

  it('handles an empty body', () => {
    const parser = new ResponseParser();
    parser.feed(Buffer.from('.\r\n'));
    parser.beginBody();
    expect(body(parser)).toEqual({ data: '', ended: true });
  });

  it('finds a terminator split at every position', () => {
    const wire = 'line one\r\n..two\r\n.\r\n';
    for (let cut = 0; cut <= wire.length; cut++) {
      for (let cut2 = cut; cut2 <= wire.length; cut2++) {
        const parser = new ResponseParser();
        parser.beginBody();
        let data = '';
        let ended = false;
        for (const piece of [wire.slice(0, cut), wire.slice(cut, cut2), wire.slice(cut2)]) {
          parser.feed(Buffer.from(piece));
          if (ended) continue;
          const result = body(parser);
          data += result.data;
          ended ||= result.ended;
        }
        expect({ data, ended }).toEqual({ data: 'line one\r\n.two\r\n', ended: true });
      }
    }
  });

  it('does not end at a dot line that is not alone', () => {
    const parser = new ResponseParser();
    parser.beginBody();
    parser.feed(Buffer.from('a\r\n.\rb\r\n'));
    expect(body(parser)).toEqual({ data: 'a\r\n\rb\r\n', ended: false });
    expect(parser.inBody).toBe(true);
  });

  it('hands out views of the received chunk rather than copies', () => {
    const parser = new ResponseParser();
    parser.beginBody();
    const chunk = Buffer.from('plain text without stuffing\r\nmore\r\n');
    parser.feed(chunk);
    const event = parser.readBody();
    expect(event?.type).toBe('data');
    if (event?.type === 'data') expect(event.bytes.buffer).toBe(chunk.buffer);
  });

  it('refuses a body line over 64 KiB, even when it arrives in pieces', () => {
    const parser = new ResponseParser();
    parser.beginBody();
    expect(() => {
      for (let i = 0; i < 20; i++) {
        parser.feed(Buffer.alloc(8 * 1024, 0x61));
        body(parser);
      }
    }).toThrow(Pop3ProtocolError);
  });

  it('accepts lines of exactly 64 KiB and many long lines in one chunk', () => {
    const line = `${'b'.repeat(MAX_BODY_LINE_BYTES)}\r\n`;
    const parser = new ResponseParser();
    parser.beginBody();
    parser.feed(Buffer.from(line.repeat(5) + '.\r\n'));
    const result = body(parser);
    expect(result.ended).toBe(true);
    expect(result.data.length).toBe(line.length * 5);
  });
});
