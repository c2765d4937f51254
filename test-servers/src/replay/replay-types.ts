import type { CertificatePair } from '../tls-fixtures.js';

/**
 * One step of a recorded session, in the order it happened on the wire. Bytes
 * are the *plaintext* application bytes: inside TLS, what was sent before
 * encryption, so a replay can re-encrypt them with its own handshake.
 */
export type ReplayStep =
  | {
      /** Bytes the server sent (consecutive chunks merged). */
      readonly type: 'server';
      /** The bytes. */
      readonly bytes: Uint8Array;
    }
  | {
      /** Bytes the client sent (consecutive chunks merged); the replay waits for as many line ends. */
      readonly type: 'client';
      /** The bytes. */
      readonly bytes: Uint8Array;
    }
  | {
      /** Both sides upgraded to TLS here (STARTTLS / STLS). */
      readonly type: 'tls';
    }
  | {
      /** The server closed the connection here. */
      readonly type: 'end';
    };

/** The server's side of one recorded session, with what the client sent to pace it. */
export interface ReplayRecording {
  /** Whether the session ran over TLS from the first byte (SMTPS, POP3S). */
  readonly implicitTls: boolean;
  /** The steps, in wire order. */
  readonly steps: readonly ReplayStep[];
}

/**
 * What a replay server does to its output at one byte offset of the server's
 * plaintext stream (counted over the whole session, across a TLS upgrade):
 *
 * - `cut`: send the first `offset` bytes, then close the connection (FIN, or
 *   TLS close_notify then FIN). A cut before a TLS upgrade skips the handshake.
 * - `stall`: send the first `offset` bytes, then nothing more — no reply, no
 *   TLS handshake — while still reading whatever the client sends, so only the
 *   client's own deadline can end the session.
 */
export interface ReplayFault {
  /** What happens at the offset. */
  readonly kind: 'cut' | 'stall';
  /** How many server bytes go out before it; 0 means none, the total length means the whole session plays. */
  readonly offset: number;
}

/** What one connection to a replay server did. */
export interface ReplaySessionInfo {
  /** Every line the client sent, decoded as latin1, line end removed (secrets included: replay is for tests). */
  readonly clientLines: string[];
  /** How many server bytes were sent. */
  serverBytesSent: number;
  /** True once the connection ran over TLS. */
  secure: boolean;
  /** True once the fault was applied. */
  faulted: boolean;
}

/** The options of {@link startReplayServer}. */
export interface ReplayServerOptions {
  /** The session to replay to every client that connects. */
  recording: ReplayRecording;
  /** The fault to apply; none replays the session whole. */
  fault?: ReplayFault;
  /** The server certificate for implicit TLS and upgrades; default `tlsFixtures.localhost`. */
  certificate?: CertificatePair;
}

/** A running replay server. */
export interface ReplayServer {
  /** Always `127.0.0.1`. */
  readonly host: '127.0.0.1';
  /** The port it listens on. */
  readonly port: number;
  /** Every connection so far, in order. */
  readonly sessions: readonly ReplaySessionInfo[];
  /** Stops listening and destroys every connection; idempotent. */
  close(): Promise<void>;
}

/** The options of {@link startSessionRecorder}. */
export interface SessionRecorderOptions {
  /** The real (fake) server the recorder forwards to. */
  upstream: {
    /** Its host. */
    host: string;
    /** Its port. */
    port: number;
  };
  /** Speak TLS from the first byte on both sides (the upstream must too). */
  implicitTls?: boolean;
  /** The certificate the recorder presents to the client; default `tlsFixtures.localhost`. */
  certificate?: CertificatePair;
  /** The CA the recorder trusts for the upstream's certificate; default the test CA. */
  upstreamCa?: string;
}

/**
 * A recording proxy: a client connects to it as to the server; it forwards
 * both ways and records the server's plaintext output, terminating TLS on both
 * sides (with the test certificate) so that what is inside TLS is recorded too.
 */
export interface SessionRecorder {
  /** Always `127.0.0.1`. */
  readonly host: '127.0.0.1';
  /** The port clients connect to. */
  readonly port: number;
  /** One recording per connection, filled as the session goes. */
  readonly recordings: readonly ReplayRecording[];
  /** Stops listening, destroys open connections and waits for them to end; idempotent. */
  close(): Promise<void>;
}
