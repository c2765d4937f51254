// The README's runnable example. First, from the repository root, start the fake server on a
// directory of messages (one file per message):
//   mkdir -p /tmp/mbox && printf 'Subject: hello\r\n\r\nHi!\r\n' > /tmp/mbox/1.eml
//   npx tsx test-servers/bin/pop3-server.ts --port 2110 --apop --user u:p --mbox /tmp/mbox
// then, in another terminal: npx tsx packages/pop3-client/scripts/fake-server-example.ts
import { Pop3Client, Pop3Error } from '@sysmail/pop3-client';

const pop = await Pop3Client.connect({
  host: '127.0.0.1',
  port: Number(process.env.POP3_PORT ?? 2110),
  security: 'none', // the fake server above runs without TLS; APOP never sends the password
  onTranscript: (e) => console.log(e.direction.padEnd(6), e.text),
});
try {
  await pop.login({ username: 'u', password: 'p', method: 'apop' });
  const { count, size } = await pop.stat();
  console.log(`${count} messages, ${size} octets`);
  for (const { number } of await pop.list()) {
    const message = Buffer.from(await pop.retrieve(number)).toString('utf8');
    console.log(`message ${number}: ${message.split('\r\n')[0]}`);
  }
  await pop.quit();
} catch (error) {
  if (error instanceof Pop3Error) console.error(`${error.phase}: ${error.message}`);
  await pop.close();
  process.exitCode = 1;
}
