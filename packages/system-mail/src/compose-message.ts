import { checkAddress, formatMailbox, type Mailbox } from './address-header.js';
import { encodeTextBody, type EncodedBody } from './body-encoding.js';
import { MessageCompositionError } from './errors.js';
import { foldHeader } from './header-fold.js';
import { assertCustomHeaderName } from './header-safety.js';
import { splitMailbox } from './mailbox-syntax.js';
import { createMessageId, normaliseMessageId } from './message-id.js';
import { createBoundary } from './mime-boundary.js';
import { formatRfc5322Date } from './rfc5322-date.js';
import { firstWordRoom, formatUnstructured } from './unstructured-header.js';

/** What a notification consists of. */
export interface ComposeMessageInput {
  /** The sender: the system mail address and its display name. */
  readonly from: Mailbox;
  /** The recipients. At least one recipient (To or Cc) is required. */
  readonly to: readonly string[];
  /** Carbon-copy recipients. */
  readonly cc?: readonly string[];
  /** The subject, any Unicode text. */
  readonly subject: string;
  /** The plain-text body, any line breaks. */
  readonly text: string;
  /** An HTML alternative; the message becomes multipart/alternative. */
  readonly html?: string;
  /**
   * Extra headers, e.g. `Reply-To` or `X-Mailer`. Values are unstructured text.
   * From, Sender, To, Cc, Bcc, Subject, Date, Message-ID, MIME-Version,
   * Return-Path and Content-* cannot be set this way.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** The Date header's instant; default now. */
  readonly date?: Date;
  /** The Message-ID, `<left@right>`; default a random id at the sender's domain. */
  readonly messageId?: string;
}

/** A composed message and the envelope to send it with. */
export interface ComposedMessage {
  /** The message: ASCII, CRLF line breaks, header lines of at most 78 characters. */
  readonly bytes: Uint8Array;
  /** The Message-ID, angle brackets included. */
  readonly messageId: string;
  /** The SMTP envelope: MAIL FROM and RCPT TO (To, then Cc). */
  readonly envelope: {
    /** The reverse path: the sender's address. */
    readonly from: string;
    /** The forward paths. */
    readonly to: readonly string[];
  };
}

function partHeaders(subtype: 'plain' | 'html', body: EncodedBody): string[] {
  return [`Content-Type: text/${subtype}; charset=UTF-8`, `Content-Transfer-Encoding: ${body.encoding}`];
}

function addressList(name: string, addresses: readonly string[]): string {
  return foldHeader(name, addresses.map((a) => checkAddress(a, name)).join(', '));
}

/**
 * Composes a notification as a MIME message (RFC 5322, 2045–2047): UTF-8
 * throughout, encoded words for non-ASCII header text, quoted-printable or
 * base64 bodies, `multipart/alternative` when there is HTML, a Date and a
 * Message-ID. No header line exceeds 78 characters (save an address or
 * Message-ID too long to fit one on its own) and no line exceeds 998.
 *
 * @param input - sender, recipients, subject, bodies, extra headers.
 * @returns the message bytes, its Message-ID and its envelope.
 * @throws MessageCompositionError on CR, LF or NUL in any header text, an
 *   invalid address, a reserved or invalid header name, no recipient, or an
 *   invalid Message-ID.
 */
export function composeMessage(input: ComposeMessageInput): ComposedMessage {
  const to = [...input.to];
  const cc = [...(input.cc ?? [])];
  if (to.length + cc.length === 0) {
    throw new MessageCompositionError('recipient-required', {
      ja: '宛先が指定されていません。',
      en: 'The message has no recipient.',
    });
  }
  const from = formatMailbox(input.from, 'From', firstWordRoom('From'));
  const domain = splitMailbox(input.from.address)?.domain ?? '';
  const messageId = input.messageId !== undefined ? normaliseMessageId(input.messageId) : createMessageId(domain);
  const headers: string[] = [
    `Date: ${formatRfc5322Date(input.date ?? new Date())}`,
    foldHeader('From', from),
    ...(to.length > 0 ? [addressList('To', to)] : []),
    ...(cc.length > 0 ? [addressList('Cc', cc)] : []),
    formatUnstructured('Subject', input.subject),
    foldHeader('Message-ID', messageId),
    'MIME-Version: 1.0',
  ];
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    assertCustomHeaderName(name);
    headers.push(formatUnstructured(name, value));
  }
  const text = encodeTextBody(input.text);
  let body: string;
  if (input.html === undefined) {
    headers.push(...partHeaders('plain', text));
    body = text.content;
  } else {
    const html = encodeTextBody(input.html);
    const boundary = createBoundary([text.content, html.content]);
    headers.push(foldHeader('Content-Type', `multipart/alternative; boundary="${boundary}"`));
    body = [
      'This is a multi-part message in MIME format.',
      `--${boundary}`,
      ...partHeaders('plain', text),
      '',
      text.content,
      `--${boundary}`,
      ...partHeaders('html', html),
      '',
      html.content,
      `--${boundary}--`,
    ].join('\r\n');
  }
  const message = `${headers.join('\r\n')}\r\n\r\n${body}\r\n`;
  return {
    bytes: new Uint8Array(Buffer.from(message, 'ascii')),
    messageId,
    envelope: { from: input.from.address, to: [...to, ...cc] },
  };
}
