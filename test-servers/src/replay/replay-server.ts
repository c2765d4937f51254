import { ServerConnection } from '../server-connection.js';
import { listen } from '../test-listener.js';
import { tlsFixtures, type CertificatePair } from '../tls-fixtures.js';
import type { ReplayFault, ReplayRecording, ReplayServer, ReplayServerOptions, ReplaySessionInfo } from './replay-types.js';

/**
 * Starts a server that plays a recorded session back to every client: it
 * waits for as many lines as the client sent before each recorded server
 * output, sends that output, and upgrades to TLS (with the test certificate)
 * where the recording did. With a {@link ReplayFault} it cuts or stalls the
 * connection after exactly `offset` bytes of the server's plaintext output, so
 * a test can prove the client's behaviour at every byte of a session.
 *
 * What the client sends is paced by line count only, never compared: a client
 * whose commands differ in content but not in number still gets the replies.
 *
 * @param options - the recording, the fault and the certificate
 * @returns the server, once it listens
 */
export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const certificate = options.certificate ?? tlsFixtures.localhost;
  const sessions: ReplaySessionInfo[] = [];
  const listener = await listen({
    ...(options.recording.implicitTls ? { implicitTls: certificate } : {}),
    onSocket(socket) {
      // Each output goes out as written, so a cut lands exactly where it was asked.
      socket.setNoDelay(true);
      const info: ReplaySessionInfo = { clientLines: [], serverBytesSent: 0, secure: options.recording.implicitTls, faulted: false };
      sessions.push(info);
      replay(new ServerConnection(socket), info, options.recording, options.fault, certificate).catch(() => {
        // A client that fails the TLS handshake or resets ends only its own session.
        socket.destroy();
      });
    },
  });
  return { host: '127.0.0.1', port: listener.port, sessions, close: () => listener.close() };
}

/**
 * The total number of server bytes in a recording: the offsets a fault can
 * take run from 0 to this number.
 *
 * @param recording - a recorded session
 * @returns the length of the server's plaintext output
 */
export function replayServerLength(recording: ReplayRecording): number {
  let total = 0;
  for (const step of recording.steps) if (step.type === 'server') total += step.bytes.length;
  return total;
}

async function replay(
  connection: ServerConnection,
  info: ReplaySessionInfo,
  recording: ReplayRecording,
  fault: ReplayFault | undefined,
  certificate: CertificatePair,
): Promise<void> {
  let sent = 0;
  const faultDue = (): boolean => fault !== undefined && sent >= fault.offset;
  const applyFault = (): void => {
    info.faulted = true;
    // A stalled connection keeps buffering the client's bytes, so its writes never block.
    if (fault?.kind === 'cut') connection.end();
  };
  if (faultDue()) return applyFault();
  for (const step of recording.steps) {
    switch (step.type) {
      case 'client': {
        for (let lines = countLineEnds(step.bytes); lines > 0; lines--) {
          const line = await connection.readLine();
          if (line === null) return;
          info.clientLines.push(line.toString('latin1').replace(/\r?\n$/, ''));
        }
        break;
      }
      case 'server': {
        const room = fault === undefined ? Infinity : fault.offset - sent;
        const piece = room < step.bytes.length ? step.bytes.subarray(0, room) : step.bytes;
        if (piece.length > 0) await connection.send(piece);
        sent += piece.length;
        info.serverBytesSent = sent;
        if (faultDue()) return applyFault();
        break;
      }
      case 'tls':
        await connection.startTls(certificate);
        info.secure = true;
        break;
      case 'end':
        connection.end();
        return;
    }
  }
}

function countLineEnds(bytes: Uint8Array): number {
  let count = 0;
  for (const byte of bytes) if (byte === 0x0a) count++;
  return count;
}
