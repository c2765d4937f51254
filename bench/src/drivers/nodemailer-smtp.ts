/**
 * Nodemailer, as its users run it for bulk sending: a pooled transport with
 * one connection and no message limit, sending the same raw bytes as every
 * other client, every sendMail() called at once and awaited together (the pool
 * queues them), exactly as the sysmail driver calls send().
 */
import { Readable } from 'node:stream';
import { driverArguments, largeMessage, messageBlock, reportWork } from '../message-fixtures.js';

interface Transport {
  sendMail(mail: { envelope: { from: string; to: string[] }; raw: Buffer | Readable }): Promise<unknown>;
  close(): void;
}
interface Nodemailer {
  createTransport(options: Record<string, unknown>): Transport;
}

// Nodemailer ships no types; only the two calls above are used.
const moduleName = 'nodemailer';
const nodemailer = ((await import(moduleName)) as { default: Nodemailer }).default;
const { port, count, size, auth } = driverArguments(process.argv.slice(2));
const transport = nodemailer.createTransport({
  host: '127.0.0.1',
  port,
  secure: false,
  ignoreTLS: true,
  pool: true,
  maxConnections: 1,
  maxMessages: Infinity,
  ...(auth ? { auth: { user: 'user', pass: 'password' }, authMethod: 'PLAIN' } : {}),
});
const envelope = { from: 'bench@sink.test', to: ['to@sink.test'] };
if (count > 1) {
  const message = messageBlock(size, 'small');
  await Promise.all(Array.from({ length: count }, () => transport.sendMail({ envelope, raw: message })));
} else {
  await transport.sendMail({ envelope, raw: Readable.from(largeMessage(size)) });
}
transport.close();
reportWork();
