import { SaslError } from './sasl-error.js';
import type { SaslClientMechanism } from './types.js';

/** How an OAuth mechanism answers the server's error challenge. */
export interface ErrorChallengeHandler {
  /** Reads the error challenge (throws SaslError when malformed) and returns what the client must reply. */
  (challenge: Uint8Array): { serverError: Readonly<Record<string, unknown>>; reply: Uint8Array };
}

/**
 * The shape shared by PLAIN, EXTERNAL, ANONYMOUS, XOAUTH2 and OAUTHBEARER: the client
 * says everything in one message, sent as the initial response or in answer to an
 * empty first challenge; OAuth mechanisms may then receive one error challenge.
 */
export class SingleMessageClient implements SaslClientMechanism {
  readonly name: string;
  private error: Readonly<Record<string, unknown>> | undefined;
  private state: 'start' | 'sent' | 'error-answered' = 'start';

  constructor(
    name: string,
    private readonly message: Uint8Array,
    private readonly onErrorChallenge?: ErrorChallengeHandler,
  ) {
    this.name = name;
  }

  get serverError(): Readonly<Record<string, unknown>> | undefined {
    return this.error;
  }

  get complete(): boolean {
    return this.state === 'sent';
  }

  initialResponse(): Uint8Array {
    if (this.state !== 'start') throw new SaslError('invalid-state', `${this.name}: the initial response was already sent`);
    this.state = 'sent';
    return this.message;
  }

  respond(challenge: Uint8Array): Uint8Array {
    if (this.state === 'start' && challenge.length === 0) return this.initialResponse();
    if (this.state === 'sent' && this.onErrorChallenge !== undefined) {
      const { serverError, reply } = this.onErrorChallenge(challenge);
      this.error = serverError;
      this.state = 'error-answered';
      return reply;
    }
    throw new SaslError('unexpected-challenge', `${this.name}: unexpected challenge`);
  }
}
