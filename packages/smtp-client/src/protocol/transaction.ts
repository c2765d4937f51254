import { SmtpArgumentError, SmtpCapabilityError, SmtpReplyError, type SmtpRejectedRecipient } from '../smtp-error.js';
import { checkMailbox } from './address.js';
import type { SmtpCapabilities } from './capabilities.js';
import { refuseLineBreaks } from './command-line.js';
import type { DataFraming } from './data-encoder.js';
import { isPositive, summarizeReply, type SmtpReply } from './reply.js';
import { encodeXtext } from './xtext.js';

/** Delivery status notification requests (RFC 3461), sent only when the server advertises DSN. */
export interface SmtpDsnOptions {
  /** Return the full message (`FULL`) or only its headers (`HDRS`) in a bounce. */
  ret?: 'FULL' | 'HDRS';
  /** An envelope identifier echoed back in notifications (printable ASCII, at most 100 characters). */
  envid?: string;
  /** When to notify, for every recipient; `NEVER` cannot be combined with the others. */
  notify?: ReadonlyArray<'SUCCESS' | 'FAILURE' | 'DELAY' | 'NEVER'>;
  /** Send each recipient's address as `ORCPT=rfc822;…`, so notifications name the address as originally given. */
  orcpt?: boolean;
}

/** Who a message is from and to (the SMTP envelope, not the message headers). */
export interface SmtpEnvelope {
  /** The reverse path: where bounces go. `''` sends the null reverse path `<>`. */
  from: string;
  /** The recipients; at least one. */
  to: readonly string[];
  /** The message size in bytes, for `SIZE=` when streaming (measured for in-memory messages). */
  size?: number;
  /**
   * Declares 8-bit content (`BODY=8BITMIME`) for a streamed message. In-memory
   * messages are scanned instead; streams are not, so declare it for them.
   */
  eightBit?: boolean;
  /** Request SMTPUTF8 even when every address is ASCII (e.g. for UTF-8 headers). Added automatically for non-ASCII addresses. */
  smtputf8?: boolean;
  /** Delivery status notification requests. */
  dsn?: SmtpDsnOptions;
}

/** The commands of one mail transaction, ready to send. */
export interface TransactionPlan {
  /** The MAIL FROM command line. */
  mail: string;
  /** One RCPT TO command line per recipient, in envelope order. */
  rcpts: readonly string[];
  /** The recipients, in the order of `rcpts`. */
  recipients: readonly string[];
  /** DATA, or BDAT when the server offers CHUNKING. */
  framing: DataFraming;
  /** Whether MAIL, RCPT… (and DATA) go in one write (RFC 2920). */
  pipelined: boolean;
}

/** What is known about the message before it is sent. */
export interface MessageFacts {
  /** Its size in bytes, when known. */
  size: number | undefined;
  /** Whether it contains bytes above 0x7f. */
  eightBit: boolean;
}

const NOTIFY_VALUES = new Set(['SUCCESS', 'FAILURE', 'DELAY', 'NEVER']);

/**
 * Turns an envelope into the transaction's commands, checking everything that
 * can be checked before a byte is sent: address syntax, CR/LF/NUL, SMTPUTF8
 * for non-ASCII addresses, 8BITMIME for 8-bit content, the server's SIZE limit.
 *
 * @param envelope - the envelope
 * @param capabilities - what the server advertised
 * @param message - the message's size and 8-bit content
 * @returns the commands
 * @throws {@link SmtpArgumentError} for an envelope that cannot be sent
 * @throws {@link SmtpCapabilityError} when the server lacks an extension the message needs
 */
export function planTransaction(envelope: SmtpEnvelope, capabilities: SmtpCapabilities, message: MessageFacts): TransactionPlan {
  if (!Array.isArray(envelope.to) || envelope.to.length === 0) {
    throw new SmtpArgumentError('rcpt', 'The envelope has no recipients: pass at least one address in `to`.');
  }
  let needsUtf8 = envelope.smtputf8 === true;
  if (envelope.from !== '') needsUtf8 = checkMailbox(envelope.from, 'mail').needsSmtpUtf8 || needsUtf8;
  for (const address of envelope.to) needsUtf8 = checkMailbox(address, 'rcpt').needsSmtpUtf8 || needsUtf8;
  if (needsUtf8 && !capabilities.smtpUtf8) {
    throw new SmtpCapabilityError(
      'mail',
      'The envelope needs SMTPUTF8 (a non-ASCII address, or smtputf8 was requested) but the server does not offer it; nothing was sent. Use ASCII addresses or another server.',
    );
  }
  const eightBit = message.eightBit || envelope.eightBit === true;
  if (eightBit && !capabilities.eightBitMime) {
    throw new SmtpCapabilityError(
      'mail',
      'The message contains 8-bit bytes but the server does not offer 8BITMIME; nothing was sent. Encode the message as 7-bit (quoted-printable or base64).',
    );
  }
  if (message.size !== undefined && capabilities.maxSize !== undefined && message.size > capabilities.maxSize) {
    throw new SmtpCapabilityError(
      'mail',
      `The message is ${message.size} bytes but the server accepts at most ${capabilities.maxSize} (SIZE); nothing was sent. Send a smaller message.`,
    );
  }
  // Parameters are appended as text: a batch plans thousands of transactions.
  let mailParams = '';
  if (message.size !== undefined && capabilities.size) mailParams += ` SIZE=${message.size}`;
  if (eightBit) mailParams += ' BODY=8BITMIME';
  if (needsUtf8) mailParams += ' SMTPUTF8';
  const dsn = capabilities.dsn ? envelope.dsn : undefined;
  if (dsn?.ret !== undefined) {
    if (dsn.ret !== 'FULL' && dsn.ret !== 'HDRS') throw new SmtpArgumentError('mail', 'dsn.ret must be FULL or HDRS.');
    mailParams += ` RET=${dsn.ret}`;
  }
  if (dsn?.envid !== undefined) {
    refuseLineBreaks(dsn.envid, 'mail', 'DSN envelope identifier');
    if (dsn.envid.length === 0 || dsn.envid.length > 100) throw new SmtpArgumentError('mail', 'dsn.envid must be 1 to 100 characters.');
    mailParams += ` ENVID=${encodeXtext(dsn.envid)}`;
  }
  let rcptParams = '';
  if (dsn?.notify !== undefined) {
    const notify = [...new Set(dsn.notify)];
    if (notify.length === 0 || !notify.every((value) => NOTIFY_VALUES.has(value)) || (notify.includes('NEVER') && notify.length > 1)) {
      throw new SmtpArgumentError('rcpt', 'dsn.notify must list SUCCESS, FAILURE and/or DELAY, or be exactly [NEVER].');
    }
    rcptParams += ` NOTIFY=${notify.join(',')}`;
  }
  const orcpt = dsn?.orcpt === true;
  const rcpts = envelope.to.map((address) => `RCPT TO:<${address}>${rcptParams}${orcpt ? ` ORCPT=rfc822;${encodeXtext(address)}` : ''}`);
  return {
    mail: `MAIL FROM:<${envelope.from}>${mailParams}`,
    rcpts,
    recipients: envelope.to.slice(),
    framing: capabilities.chunking ? 'bdat' : 'data',
    pipelined: capabilities.pipelining,
  };
}

/** What the server said to MAIL and to each RCPT. */
export interface EnvelopeOutcome {
  /** The recipients the server accepted. */
  accepted: string[];
  /** The recipients it refused, with its replies. */
  rejected: SmtpRejectedRecipient[];
  /** Set when the transaction cannot go on: MAIL refused, or every recipient refused. */
  failure: SmtpReplyError | undefined;
}

/**
 * Judges the replies to MAIL and the RCPTs.
 *
 * @param recipients - the transaction's recipients, in the order of its RCPT commands ({@link TransactionPlan.recipients})
 * @param mailReply - the reply to MAIL
 * @param rcptReplies - the replies to the RCPTs received so far, in order (none when MAIL failed unpipelined)
 * @returns the accepted and refused recipients, and the failure that ends the transaction if any
 */
export function judgeEnvelope(recipients: readonly string[], mailReply: SmtpReply, rcptReplies: readonly SmtpReply[]): EnvelopeOutcome {
  const accepted: string[] = [];
  const rejected: SmtpRejectedRecipient[] = [];
  for (let index = 0; index < rcptReplies.length; index++) {
    const reply = rcptReplies[index] as SmtpReply;
    const address = recipients[index] as string;
    if (isPositive(reply)) accepted.push(address);
    else rejected.push({ address, reply });
  }
  if (!isPositive(mailReply)) {
    return {
      accepted: [],
      rejected,
      failure: new SmtpReplyError('mail', `The server refused the sender: ${summarizeReply(mailReply)}.${advice(mailReply)}`, mailReply),
    };
  }
  if (accepted.length === 0 && rejected.length > 0) {
    const last = (rejected[rejected.length - 1] as SmtpRejectedRecipient).reply;
    const list = rejected.map((entry) => `${entry.address} (${summarizeReply(entry.reply)})`).join(', ');
    return {
      accepted,
      rejected,
      failure: new SmtpReplyError('rcpt', `The server refused every recipient: ${list}.${advice(last)}`, last, rejected),
    };
  }
  return { accepted, rejected, failure: undefined };
}

/**
 * The advice appended to a refusal's message.
 *
 * @param reply - the refusal
 * @returns a sentence starting with a space
 */
export function advice(reply: SmtpReply): string {
  if (reply.code === 421) return ' The server is closing the connection; try again later.';
  if (reply.code >= 400 && reply.code < 500) return ' This is temporary; try again later.';
  if (reply.code === 530) return ' The server requires authentication (or STARTTLS) first.';
  return ' This is permanent; check the address and the server’s policy.';
}
