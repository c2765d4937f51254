import { afterEach, describe, expect, test } from 'vitest';
import { listen, type TestListener } from '@sysmail/test-servers';
import { Pop3Client, Pop3ConnectionError } from '../src/index.js';
import { failure } from './helpers.js';

const listeners: TestListener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

/** A server that lets the TLS handshake start (STLS granted, or implicit TLS) and hangs up on the ClientHello. */
async function handshakeDropper(stls: boolean): Promise<TestListener> {
  const listener = await listen({
    onSocket(socket) {
      socket.on('error', () => undefined);
      const hangUpOnHello = (): void => {
        socket.removeAllListeners('data');
        socket.once('data', () => socket.destroy());
      };
      if (!stls) return hangUpOnHello();
      socket.write('+OK ready\r\n');
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('CAPA\r\n')) {
          text = '';
          socket.write('+OK\r\nSTLS\r\n.\r\n');
        } else if (text.includes('STLS\r\n')) {
          socket.write('+OK Begin TLS negotiation\r\n');
          hangUpOnHello();
        }
      });
    },
  });
  listeners.push(listener);
  return listener;
}

describe('a server that hangs up in the middle of the TLS handshake', () => {
  test.each([
    ['STLS', true, 'stls'],
    ['implicit TLS', false, 'connect'],
  ] as const)('%s: a transient connection reset, not a certificate failure', async (_, stls, phase) => {
    const server = await handshakeDropper(stls);
    const error = await failure(Pop3Client.connect({ host: '127.0.0.1', port: server.port, security: stls ? 'starttls' : 'tls', timeouts: 2_000 }));
    expect(error).toBeInstanceOf(Pop3ConnectionError);
    expect(error).toMatchObject({ kind: 'reset', phase, transient: true });
  });
});
