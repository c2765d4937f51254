import { SaslError, verifyServerSuccess, type SaslClientMechanism } from '@sysmail/sasl';
import { REDACTED } from '@sysmail/wire';
import { checkReplyFits } from './protocol/reply-fit.js';
import { summarizeReply, type SmtpReply } from './protocol/reply.js';
import { SmtpAuthError } from './smtp-error.js';

/** RFC 4954 §4: an AUTH command line, CRLF included, must fit in 512 octets, or the initial response waits for a challenge. */
const MAX_AUTH_LINE = 512;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The I/O an AUTH exchange needs from the client: send one line, read one reply. */
export interface AuthChannel {
  /**
   * Sends one command line.
   * @param line - the line as sent
   * @param redacted - the form shown in the transcript
   */
  send(line: string, redacted: string): Promise<void>;
  /** Reads the next reply, its 334 challenges shown redacted in the transcript. */
  readReply(): Promise<SmtpReply>;
  /**
   * Scrubs the transcript's secrets out of a text.
   * @param text - text from the server that an error will carry
   */
  scrub(text: string): string;
}

/** How an exchange ended when it did not throw. */
export interface AuthOutcome {
  /** The server's 235 reply. */
  reply: SmtpReply;
}

/**
 * Runs one AUTH exchange (RFC 4954) with a SASL client mechanism: the initial
 * response with the command when it fits (SASL-IR), base64 both ways, `*` to
 * cancel when the mechanism refuses a challenge, and the check that the
 * server proved itself before its 235.
 *
 * @param channel - the client's I/O
 * @param mechanism - a fresh client mechanism
 * @returns the 235 reply
 * @throws {@link SmtpAuthError} when the server refuses, or the mechanism refuses the server;
 *   `fatal` tells whether the session can still be trusted
 */
export async function runSaslExchange(channel: AuthChannel, mechanism: SaslClientMechanism): Promise<AuthOutcome> {
  const name = mechanism.name;
  let held: Uint8Array | undefined;
  let command = `AUTH ${name}`;
  const initial = mechanism.initialResponse();
  if (initial !== null) {
    const encoded = initial.length === 0 ? '=' : toBase64(initial);
    if (command.length + 1 + encoded.length + 2 <= MAX_AUTH_LINE) command = `${command} ${encoded}`;
    else held = initial;
  }
  await channel.send(command, command === `AUTH ${name}` ? command : `AUTH ${name} ${REDACTED}`);
  for (;;) {
    const reply = await channel.readReply();
    checkReplyFits('auth', reply, 'auth');
    if (reply.code === 334) {
      let response: Uint8Array;
      if (held !== undefined) {
        response = held;
        held = undefined;
      } else {
        try {
          response = mechanism.respond(decodeChallenge(reply.text.trim(), name));
        } catch (error) {
          if (!(error instanceof SaslError)) throw error;
          await channel.send('*', '*');
          await channel.readReply();
          throw new SmtpAuthError(`${name} authentication was cancelled because the server's challenge was refused: ${error.message}. The server may be misconfigured or impersonated.`, {
            mechanism: name,
            cause: error,
          });
        }
      }
      await channel.send(response.length === 0 ? '' : toBase64(response), REDACTED);
      continue;
    }
    if (reply.code === 235) {
      try {
        takeDataWithSuccess(mechanism, reply);
        verifyServerSuccess(mechanism);
      } catch (error) {
        throw new FatalAuthError(
          `The server reported ${name} success before proving it knows the password: it may be an impostor. The connection was closed.`,
          { mechanism: name, cause: error, reply },
        );
      }
      return { reply };
    }
    // A server may quote the token it refused in its JSON error, which the error shows.
    const oauthError = mechanism.serverError === undefined ? undefined : scrubStrings(mechanism.serverError, channel.scrub);
    throw new SmtpAuthError(`The server refused ${name} authentication: ${summarizeReply(reply)}.${authAdvice(reply, oauthError)}`, {
      reply,
      mechanism: name,
      oauthError,
    });
  }
}

/**
 * RFC 4422 §5 lets a mechanism end with additional data with success (SCRAM's
 * `v=`, DIGEST-MD5's `rspauth`). RFC 4954 servers send it as one more 334, but
 * some put it in the 235 text instead: when the mechanism still awaits the
 * server's proof and the 235 text is base64, the mechanism checks it there, so
 * a genuine server is accepted and an impostor still fails its verification.
 */
function takeDataWithSuccess(mechanism: SaslClientMechanism, reply: SmtpReply): void {
  if (mechanism.complete || reply.lines.length !== 1) return;
  const text = reply.text.trim();
  if (text === '' || !BASE64.test(text)) return;
  mechanism.respond(new Uint8Array(Buffer.from(text, 'base64')));
}

function scrubStrings<T>(value: T, scrub: (text: string) => string): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => scrubStrings(item, scrub)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubStrings(item, scrub)])) as T;
  }
  return value;
}

/** An authentication failure after which the session cannot be trusted: the client closes it. */
export class FatalAuthError extends SmtpAuthError {}

function authAdvice(reply: SmtpReply, oauthError: Readonly<Record<string, unknown>> | undefined): string {
  if (oauthError !== undefined) return ` The token was refused (${JSON.stringify(oauthError)}): refresh or re-authorize it.`;
  if (reply.code >= 400 && reply.code < 500) return ' This is temporary; try again later.';
  if (reply.code === 534) return ' The server wants a stronger mechanism (or an app password).';
  if (reply.code === 530) return ' The server requires TLS or another mechanism first.';
  return ' Check the username and password.';
}

function decodeChallenge(text: string, name: string): Uint8Array {
  if (!BASE64.test(text)) throw new SaslError('malformed-challenge', `${name}: the server's challenge is not base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
