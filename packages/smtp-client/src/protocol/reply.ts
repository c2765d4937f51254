/**
 * One SMTP reply (RFC 5321 §4.2), single- or multi-line.
 *
 * For `250-2.1.0 first\r\n250 2.1.0 second\r\n` the reply is
 * `{ code: 250, enhancedCode: '2.1.0', lines: ['first', 'second'], text: 'first\nsecond' }`.
 */
export interface SmtpReply {
  /** The three-digit reply code. */
  code: number;
  /**
   * The RFC 3463 enhanced status code (`class.subject.detail`, e.g. `5.1.1`),
   * when the first line starts with one whose class matches the reply code's first digit.
   */
  enhancedCode?: string;
  /** The text of each line after the code, the separator and the enhanced status code. */
  lines: string[];
  /** The lines joined with `\n`. */
  text: string;
}

/**
 * A one-line summary of a reply for error messages: `550 5.1.1 No such user`.
 *
 * @param reply - a parsed reply
 * @returns the code, enhanced code and text on one line, bounded in length
 */
export function summarizeReply(reply: SmtpReply): string {
  const text = reply.lines.join(' ').replace(/\s+/g, ' ').trim();
  const bounded = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  return [String(reply.code), reply.enhancedCode, bounded].filter((part) => part !== undefined && part !== '').join(' ');
}

/** True for a 2xx reply. */
export function isPositive(reply: SmtpReply): boolean {
  return reply.code >= 200 && reply.code < 300;
}
