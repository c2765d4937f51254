/**
 * sysmail's SMTP client as an application sends a batch: one connection, one
 * send() per message, all called at once and awaited together (the client
 * queues them; with PIPELINING and CHUNKING their transactions share round
 * trips), each checked for its own result. A large message is streamed.
 */
import { SmtpClient } from '@sysmail/smtp-client';
import { driverArguments, largeMessage, messageBlock, reportWork } from '../message-fixtures.js';

const { port, count, size, auth } = driverArguments(process.argv.slice(2));
const client = await SmtpClient.connect({ host: '127.0.0.1', port, security: 'none', clientName: 'bench.test', allowPlaintextAuth: auth });
if (auth) await client.authenticate({ username: 'user', password: 'password', mechanism: 'PLAIN' });
const envelope = { from: 'bench@sink.test', to: ['to@sink.test'] };
if (count > 1) {
  const message = messageBlock(size, 'small');
  const results = await Promise.all(Array.from({ length: count }, () => client.send(envelope, message)));
  if (!results.every((result) => result.accepted.length === 1)) throw new Error('a message was not accepted');
} else {
  await client.send({ ...envelope, size }, largeMessage(size));
}
await client.quit();
reportWork();
