/** sysmail's SMTP client: one connection, send() per message, large messages streamed. */
import { SmtpClient } from '@sysmail/smtp-client';
import { driverArguments, largeMessage, messageBlock } from '../message-fixtures.js';

const { port, count, size, auth } = driverArguments(process.argv.slice(2));
const client = await SmtpClient.connect({ host: '127.0.0.1', port, security: 'none', clientName: 'bench.test', allowPlaintextAuth: auth });
if (auth) await client.authenticate({ username: 'user', password: 'password', mechanism: 'PLAIN' });
const envelope = { from: 'bench@sink.test', to: ['to@sink.test'] };
if (count > 1) {
  const message = messageBlock(size, 'small');
  for (let i = 0; i < count; i++) await client.send(envelope, message);
} else {
  await client.send({ ...envelope, size }, largeMessage(size));
}
await client.quit();
