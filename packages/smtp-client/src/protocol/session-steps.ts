import { SmtpProtocolError, SmtpReplyError } from '../smtp-error.js';
import { heloCapabilities, parseCapabilities, type SmtpCapabilities } from './capabilities.js';
import { isPositive, summarizeReply, type SmtpReply } from './reply.js';
import { advice } from './transaction.js';

/**
 * The session's decisions, one function per step of RFC 5321 §3–4 and RFC 3207:
 * each takes the server's reply and returns what comes next or throws the
 * error that ends the step. The client class only does the I/O between them.
 */

/**
 * Judges the greeting: 220 opens the session; anything else (554 "no service",
 * 421 "closing") refuses it.
 *
 * @param reply - the first reply on the connection
 * @throws {@link SmtpReplyError} when the server refuses service
 */
export function acceptGreeting(reply: SmtpReply): void {
  if (reply.code === 220) return;
  if (reply.code >= 400 && reply.code < 600) {
    throw new SmtpReplyError('greeting', `The server refused the session in its greeting: ${summarizeReply(reply)}.${advice(reply)}`, reply);
  }
  throw new SmtpProtocolError('greeting', `The server's greeting has code ${reply.code} instead of 220.`);
}

/** What to do after the reply to EHLO. */
export type EhloOutcome =
  | {
      /** EHLO succeeded. */
      readonly type: 'capabilities';
      /** What the server advertised. */
      readonly capabilities: SmtpCapabilities;
    }
  | {
      /** The server does not know EHLO (500/502): fall back to HELO (RFC 5321 §3.2). */
      readonly type: 'helo';
    };

/**
 * Judges the reply to EHLO.
 *
 * @param reply - the reply to EHLO
 * @returns the capabilities, or a HELO fallback for servers that do not know EHLO
 * @throws {@link SmtpReplyError} for any other refusal
 */
export function judgeEhlo(reply: SmtpReply): EhloOutcome {
  if (isPositive(reply)) return { type: 'capabilities', capabilities: parseCapabilities(reply) };
  if (reply.code === 500 || reply.code === 502) return { type: 'helo' };
  throw new SmtpReplyError('ehlo', `The server refused EHLO: ${summarizeReply(reply)}.${advice(reply)}`, reply);
}

/**
 * Judges the reply to HELO.
 *
 * @param reply - the reply to HELO
 * @returns no capabilities: a HELO server offers no extensions
 * @throws {@link SmtpReplyError} when the server refuses HELO too
 */
export function judgeHelo(reply: SmtpReply): SmtpCapabilities {
  if (isPositive(reply)) return heloCapabilities(reply);
  throw new SmtpReplyError('ehlo', `The server refused both EHLO and HELO: ${summarizeReply(reply)}.${advice(reply)}`, reply);
}

/**
 * Judges the reply to STARTTLS: only 220 lets the TLS handshake start; any
 * refusal ends the session, because a `starttls` session never goes on in
 * plaintext.
 *
 * @param reply - the reply to STARTTLS
 * @throws {@link SmtpReplyError} when the server refuses
 */
export function judgeStarttls(reply: SmtpReply): void {
  if (reply.code === 220) return;
  throw new SmtpReplyError(
    'starttls',
    `The server refused STARTTLS: ${summarizeReply(reply)}. The session was not continued in plaintext; fix TLS on the server or use security 'tls'.`,
    reply,
  );
}
