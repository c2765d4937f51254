/**
 * The limit for POP3 in Node: a raw client that pipelines RETR for every
 * message and discards the responses, counting terminators with indexOf in
 * each chunk as it arrives (a terminator split across chunks is found from the
 * few bytes on either side of the boundary), so no byte is copied.
 */
import * as net from 'node:net';
import { driverArguments, reportWork } from '../message-fixtures.js';

const { port, count } = driverArguments(process.argv.slice(2));
const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
const terminator = Buffer.from('\r\n.\r\n');
let seen = 0;
let tail: Buffer = Buffer.alloc(0);
await new Promise<void>((resolve, reject) => {
  socket.on('error', reject);
  socket.on('data', (chunk: Buffer) => {
    if (tail.length > 0) {
      const boundary = Buffer.concat([tail, chunk.subarray(0, 4)]);
      // Only a terminator that straddles the boundary: one wholly inside the chunk is counted below.
      const at = boundary.indexOf(terminator);
      if (at >= 0 && at < tail.length && at + terminator.length > tail.length) seen++;
    }
    for (let at = chunk.indexOf(terminator); at >= 0; at = chunk.indexOf(terminator, at + 3)) seen++;
    tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - 4)));
    if (seen >= count) resolve();
  });
  const commands = ['USER bench\r\nPASS bench\r\n'];
  for (let i = 1; i <= count; i++) commands.push(`RETR ${i}\r\n`);
  socket.write(commands.join(''));
});
socket.end('QUIT\r\n');
reportWork();
