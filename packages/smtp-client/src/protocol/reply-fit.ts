import { SmtpProtocolError, type SmtpPhase } from '../smtp-error.js';
import { summarizeReply, type SmtpReply } from './reply.js';

/** The commands whose replies the client checks; `data-end` is the final dot. */
export type RepliedCommand = 'ehlo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'data-end' | 'bdat' | 'rset' | 'quit';

const SHOWN: Record<RepliedCommand, string> = {
  ehlo: 'EHLO/HELO',
  starttls: 'STARTTLS',
  auth: 'AUTH',
  mail: 'MAIL',
  rcpt: 'RCPT',
  data: 'DATA',
  'data-end': 'the end of the message',
  bdat: 'BDAT',
  rset: 'RSET',
  quit: 'QUIT',
};

/**
 * Whether a reply is one the command can get (RFC 5321 §4.3.2, RFC 3207,
 * RFC 4954, RFC 3030): any 4xx or 5xx; otherwise 354 for DATA, 220 for
 * STARTTLS, 235 or 334 for AUTH, and 2xx for the rest. A reply that does not
 * fit means the replies are out of step with the commands — a server bug or
 * injected replies — and reading on would pair each command with the wrong answer.
 *
 * @param command - the command answered
 * @param reply - the reply
 * @returns true when the reply is possible for the command
 */
export function replyFits(command: RepliedCommand, reply: SmtpReply): boolean {
  if (reply.code >= 400 && reply.code < 600) return true;
  switch (command) {
    case 'data':
      return reply.code === 354;
    case 'starttls':
      return reply.code === 220;
    case 'auth':
      return reply.code === 235 || reply.code === 334;
    default:
      return reply.code >= 200 && reply.code < 300;
  }
}

/**
 * Throws when a reply cannot be the answer to the command: see {@link replyFits}.
 *
 * @param command - the command answered
 * @param reply - the reply
 * @param phase - the phase to report
 * @throws {@link SmtpProtocolError} when the reply does not fit
 */
export function checkReplyFits(command: RepliedCommand, reply: SmtpReply, phase: SmtpPhase): void {
  if (replyFits(command, reply)) return;
  throw new SmtpProtocolError(
    phase,
    `The server answered ${SHOWN[command]} with "${summarizeReply(reply)}", which cannot be a reply to it: its replies are out of step with the commands (a server bug, or replies injected on the way), so the connection was closed.`,
  );
}
