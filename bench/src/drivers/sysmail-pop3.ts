/** sysmail's POP3 client: pipelined retrieval of many messages, a large one streamed to a discarding sink. */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Pop3Client } from '@sysmail/pop3-client';
import { driverArguments, reportWork } from '../message-fixtures.js';

const { port, count } = driverArguments(process.argv.slice(2));
const pop = await Pop3Client.connect({ host: '127.0.0.1', port, security: 'none', allowPlaintextAuth: true });
await pop.login({ username: 'bench', password: 'bench', method: 'user' });
if (count > 1) {
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  let bytes = 0;
  for (const message of await pop.retrieveMany(ids)) bytes += message.length;
  if (bytes === 0) throw new Error('retrieved nothing');
} else {
  const devNull = new Writable({ write: (_chunk, _encoding, done) => done() });
  await pipeline(pop.retrieveStream(1), devNull);
}
await pop.quit();
reportWork();
