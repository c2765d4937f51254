import { describe, expect, it } from 'vitest';
import { composeMessage, MessageCompositionError, type ComposeMessageInput } from '../src/index.js';
import { decodeBody, decodeUnstructured, decodeWord, header, splitMessage } from '../scripts/mime-decoder.js';

const base: ComposeMessageInput = {
  from: { address: 'system@example.com', name: 'sysmail' },
  to: ['taro@example.com'],
  subject: 'Hello',
  text: 'Hello\nworld',
  date: new Date(Date.UTC(2026, 10, 29, 4, 45, 57)),
};

const text = (input: Partial<ComposeMessageInput>) => Buffer.from(composeMessage({ ...base, ...input }).bytes).toString('latin1');

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(MessageCompositionError);
    return (e as MessageCompositionError).reason;
  }
}

describe('composeMessage', () => {
  it('round-trips a Japanese phone memo subject and body', () => {
    const subject = '電話メモ: 山田様から折り返しのお電話をお願いします（至急・本日中に）';
    const body = '山田様よりお電話がありました。\n折り返しお願いします。\n\n電話番号: 03-1234-5678';
    const msg = splitMessage(text({ subject, text: body, from: { address: 'system@example.com', name: '社内ポータル 通知' } }));
    expect(decodeUnstructured(header(msg, 'Subject') ?? '')).toBe(subject);
    expect(header(msg, 'Content-Type')).toBe('text/plain; charset=UTF-8');
    expect(header(msg, 'Content-Transfer-Encoding')).toBe('base64');
    expect(decodeBody('base64', msg.body.replace(/\r\n$/, ''))).toBe(body.replace(/\n/g, '\r\n'));
    const from = header(msg, 'From') ?? '';
    expect(from.endsWith(' <system@example.com>')).toBe(true);
    expect(decodeUnstructured(from.slice(0, -' <system@example.com>'.length))).toBe('社内ポータル 通知');
  });

  it('uses quoted-printable for mostly-ASCII text', () => {
    const msg = splitMessage(text({ text: 'Dear Taro,\nyour request #42 was approved — see the workflow.' }));
    expect(header(msg, 'Content-Transfer-Encoding')).toBe('quoted-printable');
    expect(decodeBody('quoted-printable', msg.body.replace(/\r\n$/, ''))).toBe('Dear Taro,\r\nyour request #42 was approved — see the workflow.');
  });

  it('keeps a short ASCII subject readable and encodes one that cannot be folded', () => {
    expect(header(splitMessage(text({ subject: 'Workflow approved' })), 'Subject')).toBe('Workflow approved');
    const long = 'x'.repeat(120);
    const raw = text({ subject: long });
    expect(decodeUnstructured(header(splitMessage(raw), 'Subject') ?? '')).toBe(long);
    for (const line of raw.split('\r\n\r\n')[0]!.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('encodes ASCII that looks like an encoded word', () => {
    const subject = 'literal =?UTF-8?B?SGk=?= text';
    expect(decodeUnstructured(header(splitMessage(text({ subject })), 'Subject') ?? '')).toBe(subject);
  });

  it('chooses Q for mostly-ASCII non-ASCII text and B for Japanese', () => {
    expect(header(splitMessage(text({ subject: 'Café meeting moved' })), 'Subject')).toMatch(/^=\?UTF-8\?Q\?/);
    expect(header(splitMessage(text({ subject: '会議室の変更' })), 'Subject')).toMatch(/^=\?UTF-8\?B\?/);
  });

  it('quotes an ASCII display name with specials and leaves an atom name bare', () => {
    expect(header(splitMessage(text({ from: { address: 'system@example.com', name: 'Yamada, "Taro"' } })), 'From')).toBe(
      '"Yamada, \\"Taro\\"" <system@example.com>',
    );
    expect(header(splitMessage(text({})), 'From')).toBe('sysmail <system@example.com>');
    expect(header(splitMessage(text({ from: { address: 'system@example.com' } })), 'From')).toBe('system@example.com');
  });

  it('writes Date, Message-ID at the system domain, MIME-Version and the envelope', () => {
    const composed = composeMessage({ ...base, cc: ['hanako@example.org'] });
    const msg = splitMessage(Buffer.from(composed.bytes).toString('latin1'));
    expect(header(msg, 'Date')).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/);
    expect(Date.parse(header(msg, 'Date') ?? '')).toBe(base.date?.getTime());
    expect(composed.messageId).toMatch(/^<[^@<>\s]+@example\.com>$/);
    expect(header(msg, 'Message-ID')).toBe(composed.messageId);
    expect(header(msg, 'MIME-Version')).toBe('1.0');
    expect(header(msg, 'Cc')).toBe('hanako@example.org');
    expect(composed.envelope).toEqual({ from: 'system@example.com', to: ['taro@example.com', 'hanako@example.org'] });
    expect(composeMessage(base).messageId).not.toBe(composed.messageId);
  });

  it('accepts a given Message-ID, with or without brackets', () => {
    expect(composeMessage({ ...base, messageId: 'abc.1@example.com' }).messageId).toBe('<abc.1@example.com>');
    expect(reason(() => composeMessage({ ...base, messageId: '<a b@example.com>' }))).toBe('message-id-invalid');
  });

  it('builds multipart/alternative with a boundary found in neither part', () => {
    const raw = text({ text: 'plain 本文', html: '<p>HTML 本文</p>' });
    const msg = splitMessage(raw);
    const boundary = /boundary="([^"]+)"/.exec(header(msg, 'Content-Type') ?? '')?.[1] ?? '';
    expect(header(msg, 'Content-Type')).toMatch(/^multipart\/alternative; boundary="/);
    const parts = msg.body.split(`--${boundary}`);
    expect(parts).toHaveLength(4);
    expect(parts[3]).toBe('--\r\n');
    const plain = splitMessage(parts[1]!.replace(/^\r\n/, ''));
    const html = splitMessage(parts[2]!.replace(/^\r\n/, ''));
    expect(header(plain, 'Content-Type')).toBe('text/plain; charset=UTF-8');
    expect(header(html, 'Content-Type')).toBe('text/html; charset=UTF-8');
    expect(decodeBody(header(plain, 'Content-Transfer-Encoding'), plain.body.replace(/\r\n$/, ''))).toBe('plain 本文');
    expect(decodeBody(header(html, 'Content-Transfer-Encoding'), html.body.replace(/\r\n$/, ''))).toBe('<p>HTML 本文</p>');
  });

  it('adds custom headers, encoding non-ASCII values', () => {
    const msg = splitMessage(text({ headers: { 'Reply-To': 'desk@example.com', 'X-Notification': '電話メモ' } }));
    expect(header(msg, 'Reply-To')).toBe('desk@example.com');
    expect(decodeUnstructured(header(msg, 'X-Notification') ?? '')).toBe('電話メモ');
  });
});

describe('composeMessage: refusals', () => {
  it.each([
    ['subject', { subject: 'Hi\r\nBcc: victim@example.net' }],
    ['subject LF', { subject: 'Hi\nBcc: victim@example.net' }],
    ['subject NUL', { subject: 'Hi\0' }],
    ['display name', { from: { address: 'system@example.com', name: 'x\r\nBcc: v@example.net' } }],
    ['recipient', { to: ['a@example.com\r\nBcc: v@example.net'] }],
    ['cc', { cc: ['a@example.com\nX: y'] }],
    ['header value', { headers: { 'X-A': 'v\r\nBcc: v@example.net' } }],
    ['header name', { headers: { 'X-A\r\nBcc': 'v' } }],
    ['message id', { messageId: '<a@example.com>\r\nBcc: v@example.net' }],
  ])('refuses CR/LF/NUL in the %s', (_, input) => {
    expect(reason(() => composeMessage({ ...base, ...input }))).toBe('header-injection');
  });

  it.each(['From', 'to', 'CC', 'bcc', 'Subject', 'Date', 'message-id', 'MIME-Version', 'Content-Type', 'content-transfer-encoding', 'Sender'])(
    'refuses to let a custom %s header override the composed one',
    (name) => {
      expect(reason(() => composeMessage({ ...base, headers: { [name]: 'x' } }))).toBe('header-reserved');
    },
  );

  it('refuses invalid header names', () => {
    expect(reason(() => composeMessage({ ...base, headers: { 'X A': 'v' } }))).toBe('header-name-invalid');
    expect(reason(() => composeMessage({ ...base, headers: { 'X-': 'v', 'Y:Z': 'v' } }))).toBe('header-name-invalid');
  });

  it('refuses invalid addresses and a message without recipients', () => {
    expect(reason(() => composeMessage({ ...base, to: ['not an address'] }))).toBe('address-invalid');
    expect(reason(() => composeMessage({ ...base, from: { address: 'nobody' } }))).toBe('address-invalid');
    expect(reason(() => composeMessage({ ...base, to: [] }))).toBe('recipient-required');
  });

  it('gives its errors in Japanese and English', () => {
    const error = (() => {
      try {
        composeMessage({ ...base, subject: 'a\rb' });
        return undefined;
      } catch (e) {
        return e as MessageCompositionError;
      }
    })();
    expect(error?.messages.ja).toContain('改行');
    expect(error?.message).toMatch(/header injection/);
  });

  it('decodes each encoded word on its own (test decoder sanity)', () => {
    expect(decodeWord('=?UTF-8?B?6Zu76Kmx?=')).toBe('電話');
    expect(() => decodeWord('=?UTF-8?B?6Zs=?=')).toThrow();
  });
});
