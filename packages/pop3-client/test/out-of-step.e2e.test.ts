import { describe, expect, test } from 'vitest';
import { Pop3ProtocolError } from '../src/index.js';
import { failure, PASSWORD, useFakePop3 } from './helpers.js';

const pop = useFakePop3();

describe('a server out of step with the commands', () => {
  test('a response nobody asked for is refused before the next command is sent', async () => {
    const server = await pop.start({ mailbox: ['Subject: a\r\n\r\nb\r\n'], script: [{ command: 'NOOP', reply: '+OK\r\n+OK message 1 deleted' }] });
    const { client } = await pop.connect(server, { allowPlaintextAuth: true });
    await client.login({ username: 'alice', password: PASSWORD, method: 'user' });
    await client.noop();
    const error = await failure(client.delete(1));
    expect(error).toBeInstanceOf(Pop3ProtocolError);
    expect(error).toMatchObject({ reason: 'unexpected-response', phase: 'command', transient: false });
    expect(server.sessions[0]?.commands.some((command) => command.startsWith('DELE'))).toBe(false);
    expect(client.closed).toBe(true);
  });
});
