import { SaslError, verifyServerSuccess, type SaslClientMechanism } from '@sysmail/sasl';
import { Pop3AuthError, Pop3ProtocolError } from './errors.js';
import { encodeCommand, MAX_COMMAND_LINE_BYTES } from './protocol/command-encoder.js';
import { isTransientCode, type StatusLine } from './protocol/status-line.js';

/** The I/O an AUTH exchange needs from the client: send a line (with its redacted form), read a status line. */
export interface SaslExchangeIo {
  /** Sends one line (CRLF included), reporting `redacted` to the transcript. */
  send(line: string, redacted: string): Promise<void>;
  /** Reads the next status line or continuation. */
  readStatus(): Promise<StatusLine>;
  /** The transcript's scrubber, for error texts. */
  scrub(text: string): string;
  /** Marks the session for closing: a server that claimed success without proof is not talked to further. */
  abandon(): void;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RFC 5034 §4: an empty initial response is sent as `=`; an empty answer to a challenge is an empty line. */
function encodeInitial(bytes: Uint8Array): string {
  return bytes.length === 0 ? '=' : Buffer.from(bytes).toString('base64');
}

/**
 * Runs one RFC 5034 AUTH exchange: `AUTH <mech> [<initial response>]`, then
 * base64 lines answering `+` continuations until `+OK` or `-ERR`. A local
 * failure (a challenge the mechanism rejects, undecodable base64) cancels the
 * exchange with `*` as RFC 5034 §4 asks, then reports the failure. A `+OK`
 * before the mechanism verified the server (SCRAM, DIGEST-MD5) is refused.
 *
 * @param io - the client's line I/O
 * @param mechanism - a fresh client mechanism
 * @param useInitialResponse - whether the server supports RFC 5034 initial responses
 * @throws {@link Pop3AuthError} on refusal or local failure
 */
export async function runSaslExchange(io: SaslExchangeIo, mechanism: SaslClientMechanism, useInitialResponse: boolean): Promise<void> {
  const name = mechanism.name;
  const bare = encodeCommand('AUTH', [{ value: name, rule: 'name', what: 'SASL mechanism name' }]);
  const initial = useInitialResponse ? localStep(() => mechanism.initialResponse(), name) : null;
  if (initial !== null) {
    const withInitial = `AUTH ${name} ${encodeInitial(initial)}\r\n`;
    if (Buffer.byteLength(withInitial) <= MAX_COMMAND_LINE_BYTES) {
      await io.send(withInitial, `AUTH ${name} <redacted>`);
      return await converse(io, mechanism, undefined);
    }
    // RFC 5034 §4: an initial response that would push the command over 255 octets answers the server's empty first challenge instead.
    await io.send(bare, bare.slice(0, -2));
    return await converse(io, mechanism, initial);
  }
  await io.send(bare, bare.slice(0, -2));
  return await converse(io, mechanism, undefined);
}

async function converse(io: SaslExchangeIo, mechanism: SaslClientMechanism, deferredInitial: Uint8Array | undefined): Promise<void> {
  let deferred = deferredInitial;
  for (;;) {
    const status = await io.readStatus();
    if (status.type === 'ok') {
      try {
        verifyServerSuccess(mechanism);
      } catch (error) {
        io.abandon();
        throw new Pop3AuthError(
          `The server accepted the ${mechanism.name} login without proving that it knows the password; it may be an impostor, so the session was closed.`,
          { phase: 'auth', response: io.scrub(status.line), cause: error },
        );
      }
      return;
    }
    if (status.type === 'err') {
      // XOAUTH2 / OAUTHBEARER servers say why a token was refused in their error challenge, not in -ERR;
      // scrubbed like the status line, since a server may quote the token it refused.
      const tokenError = mechanism.serverError === undefined ? '' : ` (token refused: ${io.scrub(JSON.stringify(mechanism.serverError))})`;
      throw new Pop3AuthError(
        `The server refused the ${mechanism.name} login: ${io.scrub(status.line)}${tokenError}. ` +
          (isTransientCode(status.code) ? 'This is temporary: try again later.' : 'Check the username and the password or token.'),
        { phase: 'auth', response: io.scrub(status.line), code: status.code, transient: isTransientCode(status.code) },
      );
    }
    let answer: Uint8Array;
    if (deferred !== undefined) {
      answer = deferred;
      deferred = undefined;
    } else {
      if (!BASE64.test(status.text)) {
        await cancel(io);
        throw new Pop3ProtocolError('malformed-response', 'The server sent a SASL challenge that is not valid base64; the exchange was cancelled.', {
          phase: 'auth',
        });
      }
      try {
        answer = mechanism.respond(Buffer.from(status.text, 'base64'));
      } catch (error) {
        if (!(error instanceof SaslError)) throw error;
        await cancel(io);
        throw saslFailure(error, mechanism.name);
      }
    }
    await io.send(`${Buffer.from(answer).toString('base64')}\r\n`, '<redacted>');
  }
}

async function cancel(io: SaslExchangeIo): Promise<void> {
  await io.send('*\r\n', '*');
  // RFC 5034: the server answers the cancellation with -ERR; read it so the session stays in step.
  await io.readStatus();
}

function localStep<T>(step: () => T, name: string): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof SaslError) throw saslFailure(error, name);
    throw error;
  }
}

function saslFailure(error: SaslError, name: string): Pop3AuthError {
  return new Pop3AuthError(`The ${name} login failed on this side (${error.code}): ${error.message}.`, { phase: 'auth', cause: error });
}
