import {
  SaslError,
  type SaslClientMechanism,
  type SaslServerMechanism,
  verifyServerSuccess,
} from '@sysmail/sasl';

/** How one client/server exchange ended. */
export type ExchangeOutcome =
  | { readonly kind: 'success'; readonly identity: string }
  | { readonly kind: 'failure'; readonly reason: string }
  | { readonly kind: 'client-error'; readonly error: SaslError };

/**
 * Drives a client half against a server half the way SMTP would: optional initial
 * response, challenges until an outcome, SCRAM's finalData as one more challenge, and
 * the client's check that a success is not premature.
 */
export function runExchange(client: SaslClientMechanism, server: SaslServerMechanism, useInitialResponse: boolean): ExchangeOutcome {
  try {
    let step = server.step(useInitialResponse ? client.initialResponse() : null);
    for (let round = 0; round < 10; round++) {
      if (step.type === 'challenge') {
        step = server.step(client.respond(step.challenge));
        continue;
      }
      if (step.type === 'failure') return { kind: 'failure', reason: step.reason };
      if (step.finalData !== undefined) {
        const answer = client.respond(step.finalData);
        if (answer.length !== 0) throw new Error('the answer to finalData must be empty');
      }
      verifyServerSuccess(client);
      return { kind: 'success', identity: step.identity };
    }
    throw new Error('the exchange did not end');
  } catch (error) {
    if (error instanceof SaslError) return { kind: 'client-error', error };
    throw error;
  }
}

/** Latin-1 bytes of a string, for writing challenges as text. */
export const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
/** Latin-1 text of bytes. */
export const text = (data: Uint8Array): string => Buffer.from(data).toString('latin1');
/** UTF-8 bytes. */
export const utf8 = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'utf8'));
/** Base64 of bytes. */
export const b64 = (data: Uint8Array): string => Buffer.from(data).toString('base64');
/** Bytes of base64. */
export const unb64 = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'base64'));
