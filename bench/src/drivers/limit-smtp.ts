/**
 * The limit for SMTP in Node: a raw client that pipelines MAIL, RCPT and
 * BDAT ... LAST for every message back to back and only counts replies. It
 * does the least work any Node client could do on the same socket.
 */
import * as net from 'node:net';
import { once } from 'node:events';
import { driverArguments, largeMessage, messageBlock, reportWork } from '../message-fixtures.js';

const { port, count, size, auth } = driverArguments(process.argv.slice(2));
const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
let finalReplies = 0;
let carry = '';
let waiting: { target: number; resolve: () => void } | undefined;
socket.setEncoding('latin1');
socket.on('data', (text: string) => {
  const lines = (carry + text).split('\n');
  carry = lines.pop() ?? '';
  for (const line of lines) {
    if (line[3] !== ' ') continue;
    if (line[0] !== '2' && line[0] !== '3') throw new Error(`unexpected reply: ${line}`);
    finalReplies++;
  }
  if (waiting !== undefined && finalReplies >= waiting.target) {
    const { resolve } = waiting;
    waiting = undefined;
    resolve();
  }
});
const replies = (target: number): Promise<void> =>
  finalReplies >= target ? Promise.resolve() : new Promise((resolve) => (waiting = { target, resolve }));
const write = async (data: string | Buffer): Promise<void> => {
  if (!socket.write(data)) await once(socket, 'drain');
};

await replies(1);
await write(auth ? 'EHLO limit\r\nAUTH PLAIN AHVzZXIAcGFzc3dvcmQ=\r\n' : 'EHLO limit\r\n');
let expected = auth ? 3 : 2;
await replies(expected);
const envelope = `MAIL FROM:<bench@sink.test>\r\nRCPT TO:<to@sink.test>\r\nBDAT ${size} LAST\r\n`;
if (count > 1) {
  const message = messageBlock(size, 'small');
  const batch: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    batch.push(Buffer.from(envelope, 'latin1'), message);
    if (batch.length >= 256) await write(Buffer.concat(batch.splice(0)));
  }
  if (batch.length > 0) await write(Buffer.concat(batch));
} else {
  await write(envelope);
  for await (const chunk of largeMessage(size)) await write(chunk);
}
expected += count * 3;
await write('QUIT\r\n');
await replies(expected + 1);
socket.destroy();
reportWork();
