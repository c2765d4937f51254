// The README's runnable example. First, from the repository root, start the fake server:
//   npx tsx test-servers/bin/smtp-server.ts --port 2525 --starttls --auth PLAIN,CRAM-MD5 --user u:p
// then, in another terminal: npx tsx packages/smtp-client/scripts/fake-server-example.ts
import { readFileSync } from 'node:fs';
import { SmtpClient, SmtpError } from '@sysmail/smtp-client';

const client = await SmtpClient.connect({
  host: '127.0.0.1',
  port: Number(process.env.SMTP_PORT ?? 2525),
  security: 'starttls',
  tls: { ca: readFileSync('test-servers/fixtures/tls/ca.pem', 'utf8') }, // the fake server's test CA
  onTranscript: (e) => console.log(e.direction.padEnd(6), e.text),
});
try {
  const auth = await client.authenticate({ username: 'u', password: 'p' });
  console.log(`authenticated with ${auth.mechanism}`);
  const result = await client.send(
    { from: 'app@example.com', to: ['alice@example.org', 'bob@example.org'] },
    'From: app@example.com\r\nTo: alice@example.org, bob@example.org\r\nSubject: Hello\r\n\r\nHi!\r\n',
  );
  console.log(`accepted: ${result.accepted.join(', ')}; server said ${result.reply.code} ${result.reply.text}`);
  await client.quit();
} catch (error) {
  if (error instanceof SmtpError) console.error(`${error.phase}: ${error.message}`);
  client.close();
  process.exitCode = 1;
}
