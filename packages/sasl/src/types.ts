/** Username and password, for PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5 and the SCRAM family. */
export interface PasswordCredentials {
  /** The authentication identity. */
  readonly username: string;
  /** The password. */
  readonly password: string;
  /** The identity to act as, when it differs from `username` (PLAIN, DIGEST-MD5, SCRAM, EXTERNAL). */
  readonly authzid?: string;
}

/** Username and OAuth 2.0 bearer token, for XOAUTH2 and OAUTHBEARER. */
export interface TokenCredentials {
  /** The mailbox the token was issued for. */
  readonly username: string;
  /** The OAuth 2.0 access token (RFC 6750 `b64token` syntax). */
  readonly accessToken: string;
}

/**
 * Either kind of credentials. EXTERNAL sends the `authzid` of password credentials
 * (or nothing) and ANONYMOUS sends `username` as its trace string, so both accept either kind.
 */
export type SaslCredentials = PasswordCredentials | TokenCredentials;

/** TLS channel binding data (RFC 9266: the exporter value of the current TLS connection). */
export interface ChannelBinding {
  /** The channel binding type; only `tls-exporter` is supported. */
  readonly type: 'tls-exporter';
  /** The 32-byte `EXPORTER-Channel-Binding` keying material of the TLS connection. */
  readonly data: Uint8Array;
}

/** Where a client mechanism authenticates, and the knobs tests need. */
export interface SaslClientContext {
  /** The GSSAPI service name, used verbatim (`smtp`, `pop`, `imap`): DIGEST-MD5 `digest-uri` is `service/host`. */
  readonly service: string;
  /** The server's host name (DIGEST-MD5 digest-uri and fallback realm, OAUTHBEARER `host`). */
  readonly host: string;
  /** The server's port (OAUTHBEARER `port`). */
  readonly port?: number;
  /**
   * Makes DIGEST-MD5 cnonces and SCRAM client nonces reproducible; each call must
   * return printable ASCII without `,` or `"`. Default: 128 random bits in base64.
   */
  readonly nonceFactory?: () => string;
  /** Channel binding of the TLS connection: required by the -PLUS mechanisms, and makes plain SCRAM send gs2 flag `y`. */
  readonly channelBinding?: ChannelBinding;
  /** Accept SCRAM iteration counts below 4096 (RFC 7677's minimum). Only for tests and legacy servers. */
  readonly allowWeakIterations?: boolean;
  /**
   * How DIGEST-MD5 hashes a username or password under `charset=utf-8`. `rfc2831` (the
   * default, as Cyrus SASL does): text that fits in ISO-8859-1 is hashed as ISO-8859-1
   * (RFC 2831 section 2.1.2.1). `utf-8`: always the UTF-8 bytes, as Dovecot does. The two
   * differ only for non-ASCII text that fits in ISO-8859-1 (`pässwörd`), see
   * {@link digestMd5EncodingMatters}; without `charset=utf-8` the text is ISO-8859-1 either way.
   */
  readonly digestMd5PasswordEncoding?: 'rfc2831' | 'utf-8';
}

/**
 * The client half of one SASL exchange: a small step machine, one object per attempt.
 * Challenges and responses are raw bytes; the protocol client does the base64.
 */
export interface SaslClientMechanism {
  /** The canonical upper-case mechanism name, e.g. `SCRAM-SHA-256`. */
  readonly name: string;
  /**
   * The initial response for SASL-IR (`AUTH <mech> <ir>`), or `null` when the mechanism
   * has none. Call it at most once and before {@link SaslClientMechanism.respond}; a client
   * that does not send an initial response simply calls `respond` with the server's
   * (usually empty) first challenge instead.
   * @throws {@link SaslError} when called out of order
   */
  initialResponse(): Uint8Array | null;
  /**
   * Answers a server challenge.
   * @param challenge - the challenge bytes, already base64-decoded
   * @returns the next client message (possibly empty)
   * @throws {@link SaslError} for a bad, unexpected or unverifiable challenge; never any other exception
   */
  respond(challenge: Uint8Array): Uint8Array;
  /**
   * True once the mechanism has said everything and, for mechanisms with mutual
   * authentication (DIGEST-MD5 `rspauth`, SCRAM `v=`), verified the server. A server that
   * reports success while this is false is an error: see {@link verifyServerSuccess}.
   */
  readonly complete: boolean;
  /**
   * The JSON object an XOAUTH2 or OAUTHBEARER server sent as its error challenge
   * (e.g. `{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`), so
   * the protocol client can report why the token was refused once the server fails the
   * exchange. Undefined for the other mechanisms and before any error challenge.
   */
  readonly serverError?: Readonly<Record<string, unknown>>;
}

/** A refused bearer token, with the error the server half sends to the client. */
export interface TokenRejection {
  /** The JSON object to send as the XOAUTH2 / OAUTHBEARER error challenge, e.g. `{ status: 'invalid_token' }`. */
  readonly error: object;
}

/** What the server half needs to know about accounts. Synchronous on purpose: test servers own their data. */
export interface SaslServerVerifier {
  /**
   * The clear-text password of `username`, or undefined when there is no such user.
   * @param username - the authentication identity the client sent
   */
  lookupPassword(username: string): string | undefined;
  /**
   * Checks a bearer token (XOAUTH2, OAUTHBEARER). Return true to accept; false to refuse
   * with the mechanism's default error; or `{ error }` to refuse with that JSON object as
   * the error challenge. Without this method every token is refused.
   * @param username - the user the client named (empty when OAUTHBEARER sent no `a=`)
   * @param token - the bearer token
   */
  verifyToken?(username: string, token: string): boolean | TokenRejection;
  /** The identity already established outside SASL (e.g. a TLS client certificate), for EXTERNAL. */
  readonly externalIdentity?: string;
}

/** Server-side settings; every field has a default. */
export interface SaslServerContext {
  /** The GSSAPI service name the DIGEST-MD5 `digest-uri` must name; any when absent. */
  readonly service?: string;
  /** The host the DIGEST-MD5 `digest-uri` must name (any when absent), and the CRAM-MD5 challenge domain. */
  readonly host?: string;
  /** The DIGEST-MD5 realm to offer; none is offered when absent (the client then picks its own). */
  readonly realm?: string;
  /** Makes server nonces reproducible: CRAM-MD5 challenge, DIGEST-MD5 nonce, SCRAM server nonce. */
  readonly nonceFactory?: () => string;
  /** The SCRAM iteration count (default 4096). */
  readonly iterations?: number;
  /** The SCRAM salt (default 16 random bytes). */
  readonly salt?: Uint8Array;
  /** The TLS channel binding: required by the -PLUS mechanisms, and makes plain SCRAM refuse gs2 flag `y` (a downgrade). */
  readonly channelBinding?: ChannelBinding;
}

/** What a server half answers to one client message. */
export type SaslServerStep =
  | {
      /** Send `challenge` to the client (SMTP `334`, POP3 `+`) and pass its answer to the next `step`. */
      readonly type: 'challenge';
      /** The raw challenge bytes. */
      readonly challenge: Uint8Array;
    }
  | {
      /** The client is authenticated. */
      readonly type: 'success';
      /** The authenticated (and authorized) identity. */
      readonly identity: string;
      /**
       * Additional data with success (SCRAM server-final `v=`). SMTP and POP3 cannot carry
       * data in their success reply: send it as one more challenge, expect an empty
       * answer, then report success.
       */
      readonly finalData?: Uint8Array;
    }
  | {
      /** Authentication failed. */
      readonly type: 'failure';
      /** Why, for logs; never contains a credential. */
      readonly reason: string;
    };

/** The server half of one SASL exchange. */
export interface SaslServerMechanism {
  /** The canonical upper-case mechanism name. */
  readonly name: string;
  /**
   * Consumes the client's next message.
   * @param response - the client's bytes, or `null` on the first step when the client
   *   sent no initial response (the server then sends its first challenge)
   * @returns the next challenge, or the outcome; never throws for any client input
   */
  step(response: Uint8Array | null): SaslServerStep;
}
