import * as net from 'node:net';
import * as tls from 'node:tls';
import { listen } from '../test-listener.js';
import { tlsFixtures, type CertificatePair } from '../tls-fixtures.js';
import type { ReplayRecording, ReplayStep, SessionRecorder, SessionRecorderOptions } from './replay-types.js';

const LF = 0x0a;
/** A client line asking for the in-place TLS upgrade (RFC 3207 STARTTLS, RFC 2595 STLS). */
const UPGRADE_COMMAND = /^(?:STARTTLS|STLS)\r?\n$/i;
/** The positive replies to it. */
const UPGRADE_GRANTED = /^(?:220[ -]|\+OK)/i;

/**
 * Starts a recording proxy in front of a server (usually a fake server of this
 * package): clients connect to the proxy, which forwards every byte both ways
 * and records the server's plaintext output and the client's pacing as a
 * {@link ReplayRecording}. It follows a STARTTLS / STLS upgrade on both sides
 * (presenting the test certificate to the client, trusting the test CA
 * upstream), so bytes inside TLS are recorded before encryption.
 *
 * @param options - the upstream server, implicit TLS, certificate and CA
 * @returns the recorder, once it listens
 */
export async function startSessionRecorder(options: SessionRecorderOptions): Promise<SessionRecorder> {
  const certificate = options.certificate ?? tlsFixtures.localhost;
  const recordings: ReplayRecording[] = [];
  const running = new Set<Promise<void>>();
  const listener = await listen({
    ...(options.implicitTls === true ? { implicitTls: certificate } : {}),
    onSocket(socket) {
      const proxy = new RecordingProxy(socket, options, certificate);
      recordings.push(proxy.recording);
      const done = proxy.finished.finally(() => running.delete(done));
      running.add(done);
    },
  });
  let closing: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: listener.port,
    recordings,
    close() {
      closing ??= listener.close().then(async () => {
        await Promise.all(running);
      });
      return closing;
    },
  };
}

/** One proxied connection and its recording. */
class RecordingProxy {
  readonly #steps: ReplayStep[] = [];
  /** What was recorded so far. */
  readonly recording: ReplayRecording;
  /** Settles once both connections have closed. */
  readonly finished: Promise<void>;
  readonly #options: SessionRecorderOptions;
  readonly #certificate: CertificatePair;
  readonly #rawClient: net.Socket;
  readonly #rawUpstream: net.Socket;
  #client: net.Socket;
  #upstream: net.Socket;
  #clientLine: number[] = [];
  #upgradeAsked = false;
  #replyLine: number[] = [];

  constructor(client: net.Socket, options: SessionRecorderOptions, certificate: CertificatePair) {
    this.#options = options;
    this.#certificate = certificate;
    this.recording = { implicitTls: options.implicitTls === true, steps: this.#steps };
    const { host, port } = options.upstream;
    const upstream =
      options.implicitTls === true
        ? tls.connect({ host, port, ca: options.upstreamCa ?? tlsFixtures.ca, servername: 'localhost' })
        : net.connect({ host, port });
    this.#rawClient = client;
    this.#rawUpstream = upstream;
    this.#client = client;
    this.#upstream = upstream;
    this.finished = Promise.all([closed(client), closed(upstream)]).then(() => undefined);
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', this.#onClientData);
    upstream.on('data', this.#onUpstreamData);
    client.on('end', this.#onClientEnd);
    upstream.on('end', this.#onUpstreamEnd);
  }

  readonly #onClientEnd = (): void => {
    this.#upstream.end();
  };

  readonly #onUpstreamEnd = (): void => {
    if (this.#steps[this.#steps.length - 1]?.type === 'end') return;
    this.#steps.push({ type: 'end' });
    this.#client.end();
  };

  readonly #onClientData = (chunk: Buffer): void => {
    this.#record('client', chunk);
    for (const byte of chunk) {
      this.#clientLine.push(byte);
      if (byte !== LF) continue;
      this.#upgradeAsked = UPGRADE_COMMAND.test(Buffer.from(this.#clientLine).toString('latin1'));
      this.#clientLine = [];
    }
    this.#upstream.write(chunk);
  };

  readonly #onUpstreamData = (chunk: Buffer): void => {
    this.#record('server', chunk);
    this.#client.write(chunk);
    if (!this.#upgradeAsked) return;
    for (const byte of chunk) {
      this.#replyLine.push(byte);
      if (byte !== LF) continue;
      const granted = UPGRADE_GRANTED.test(Buffer.from(this.#replyLine).toString('latin1'));
      this.#replyLine = [];
      this.#upgradeAsked = false;
      if (granted) this.#upgrade();
      return;
    }
  };

  /** Both sides switch to TLS right after the grant was forwarded, before the client's ClientHello can arrive. */
  #upgrade(): void {
    this.#steps.push({ type: 'tls' });
    this.#rawClient.off('data', this.#onClientData);
    this.#rawUpstream.off('data', this.#onUpstreamData);
    const client = new tls.TLSSocket(this.#rawClient, { isServer: true, cert: this.#certificate.cert, key: this.#certificate.key });
    const upstream = tls.connect({ socket: this.#rawUpstream, ca: this.#options.upstreamCa ?? tlsFixtures.ca, servername: 'localhost' });
    for (const socket of [client, upstream]) {
      socket.on('error', () => {
        this.#rawClient.destroy();
        this.#rawUpstream.destroy();
      });
    }
    client.on('data', this.#onClientData);
    upstream.on('data', this.#onUpstreamData);
    client.on('end', this.#onClientEnd);
    upstream.on('end', this.#onUpstreamEnd);
    this.#client = client;
    this.#upstream = upstream;
  }

  #record(type: 'client' | 'server', chunk: Buffer): void {
    const last = this.#steps[this.#steps.length - 1];
    if (last !== undefined && last.type === type) {
      this.#steps[this.#steps.length - 1] = { type, bytes: Buffer.concat([last.bytes, chunk]) };
    } else {
      this.#steps.push({ type, bytes: Buffer.from(chunk) });
    }
  }
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}
