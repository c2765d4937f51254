/**
 * The limit for POP3 in Node: a raw client that pipelines RETR for every
 * message and discards the responses, counting terminators with indexOf.
 */
import * as net from 'node:net';
import { driverArguments } from '../message-fixtures.js';

const { port, count } = driverArguments(process.argv.slice(2));
const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
const terminator = Buffer.from('\r\n.\r\n');
let seen = 0;
let tail = Buffer.alloc(0);
await new Promise<void>((resolve, reject) => {
  socket.on('error', reject);
  socket.on('data', (chunk: Buffer) => {
    // Keep the last four bytes so a terminator split across reads is found.
    const data = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
    for (let at = data.indexOf(terminator); at >= 0; at = data.indexOf(terminator, at + 3)) seen++;
    tail = Buffer.from(data.subarray(Math.max(0, data.length - 4)));
    if (seen >= count) resolve();
  });
  const commands = ['USER bench\r\nPASS bench\r\n'];
  for (let i = 1; i <= count; i++) commands.push(`RETR ${i}\r\n`);
  socket.write(commands.join(''));
});
socket.end('QUIT\r\n');
