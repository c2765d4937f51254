import { SaslError } from '../sasl-error.js';
import type { SaslServerMechanism, SaslServerStep } from '../types.js';

/** A failure outcome. */
export function failure(reason: string): SaslServerStep {
  return { type: 'failure', reason };
}

/** A challenge to send. */
export function challenge(bytes: Uint8Array): SaslServerStep {
  return { type: 'challenge', challenge: bytes };
}

/**
 * What every server half shares: nothing is accepted after the outcome, and the
 * SaslErrors of the shared parsers (invalid UTF-8, SASLprep) become failures, so that
 * `step` never throws for any client input.
 */
export abstract class ServerMechanismBase implements SaslServerMechanism {
  private finished = false;

  constructor(readonly name: string) {}

  step(response: Uint8Array | null): SaslServerStep {
    if (this.finished) return failure(`${this.name}: the exchange is already finished`);
    let result: SaslServerStep;
    try {
      result = this.next(response);
    } catch (error) {
      if (!(error instanceof SaslError)) throw error;
      result = failure(error.message);
    }
    if (result.type !== 'challenge') this.finished = true;
    return result;
  }

  /** The mechanism's own step, called until it returns an outcome. */
  protected abstract next(response: Uint8Array | null): SaslServerStep;
}

/**
 * Client-first mechanisms: without an initial response the server sends an empty
 * challenge, and the client's one message comes with the next step.
 */
export abstract class ClientFirstServer extends ServerMechanismBase {
  private received = false;

  protected next(response: Uint8Array | null): SaslServerStep {
    if (this.received) return this.afterMessage(response);
    if (response === null) return challenge(new Uint8Array(0));
    this.received = true;
    return this.verify(response);
  }

  /** Judges the client's message. */
  protected abstract verify(message: Uint8Array): SaslServerStep;

  /** A further client message: only OAuth mechanisms expect one, after their error challenge. */
  protected afterMessage(_response: Uint8Array | null): SaslServerStep {
    return failure(`${this.name}: unexpected client message`);
  }
}
