/**
 * `npm run bench`: every scenario of the benchmark, each client timed as a
 * whole process (median of BENCH_RUNS runs, default 5, with min–max) with its
 * peak RSS, against native sinks on 127.0.0.1. Ratios are computed only
 * between figures of this same run, since this machine's speed drifts.
 * Writes the table to bench/results/latest.md and into the README.
 */
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { buildNative, type NativeProgram } from './native.js';
import { summarise, type Summary } from './statistics.js';

const MiB = 1024 * 1024;
const runs = Number(process.env.BENCH_RUNS ?? 5);
const only = process.env.BENCH_ONLY; // a scenario id, for a quick look at one row
const drivers = fileURLToPath(new URL('./drivers/', import.meta.url));
const pythonDrivers = fileURLToPath(new URL('../src/drivers/', import.meta.url));
const results = fileURLToPath(new URL('../results/', import.meta.url));
const readme = fileURLToPath(new URL('../../README.md', import.meta.url));

type Client = 'limit' | 'native-limit' | 'sysmail' | 'nodemailer' | 'smtplib' | 'poplib';
interface Scenario {
  id: string;
  title: string;
  protocol: 'smtp' | 'pop3';
  count: number;
  size: number;
  auth: boolean;
  clients: Client[];
}

const smtpClients: Client[] = ['native-limit', 'limit', 'sysmail', 'nodemailer', 'smtplib'];
const pop3Clients: Client[] = ['native-limit', 'limit', 'sysmail', 'poplib'];
const scenarios: Scenario[] = [
  { id: 'a', title: '(a) SMTP 2,000 × 1 KiB, one connection', protocol: 'smtp', count: 2000, size: 1024, auth: false, clients: smtpClients },
  { id: 'b64', title: '(b) SMTP one 64 MiB message', protocol: 'smtp', count: 1, size: 64 * MiB, auth: false, clients: smtpClients },
  { id: 'b512', title: '(b) SMTP one 512 MiB message', protocol: 'smtp', count: 1, size: 512 * MiB, auth: false, clients: smtpClients },
  { id: 'c', title: '(c) SMTP AUTH PLAIN + 2,000 × 1 KiB', protocol: 'smtp', count: 2000, size: 1024, auth: true, clients: smtpClients },
  { id: 'd', title: '(d) POP3 retrieve 2,000 × 4 KiB', protocol: 'pop3', count: 2000, size: 4096, auth: false, clients: pop3Clients },
  { id: 'e64', title: '(e) POP3 one 64 MiB message', protocol: 'pop3', count: 1, size: 64 * MiB, auth: false, clients: pop3Clients },
  { id: 'e512', title: '(e) POP3 one 512 MiB message', protocol: 'pop3', count: 1, size: 512 * MiB, auth: false, clients: pop3Clients },
];

interface Measurement {
  seconds: number;
  cpuSeconds: number;
  maxRssKiB: number;
  exitCode: number;
}
interface Row {
  scenario: Scenario;
  client: Client;
  seconds: Summary;
  rssMiB: Summary;
}

const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function command(client: Client, scenario: Scenario, native: Record<NativeProgram, string>, port: number): string[] | undefined {
  const args = [String(port), String(scenario.count), String(scenario.size), ...(scenario.auth ? ['auth'] : [])];
  switch (client) {
    case 'native-limit':
      return scenario.protocol === 'smtp' ? [native['smtp-limit'], ...args] : [native['pop3-limit'], String(port), String(scenario.count)];
    case 'limit':
      return [process.execPath, `${drivers}limit-${scenario.protocol}.js`, ...args];
    case 'sysmail':
      return [process.execPath, `${drivers}sysmail-${scenario.protocol}.js`, ...args];
    case 'nodemailer':
      return [process.execPath, `${drivers}nodemailer-smtp.js`, ...args];
    case 'smtplib':
    case 'poplib':
      return hasPython ? ['python3', `${pythonDrivers}${client}_driver.py`, ...args] : undefined;
  }
}

async function startSink(native: Record<NativeProgram, string>, scenario: Scenario): Promise<{ port: number; stop: () => void }> {
  const args = scenario.protocol === 'smtp' ? [] : [String(scenario.count), String(scenario.size)];
  const sink = spawn(native[`${scenario.protocol}-sink`], args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: sink.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  lines.close();
  return { port: Number(first), stop: () => sink.kill('SIGKILL') };
}

async function measure(native: Record<NativeProgram, string>, argv: string[]): Promise<Measurement> {
  const child = spawn(native.measure, argv, { stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr += text));
  await once(child, 'close');
  const line = stderr.trim().split('\n').pop() ?? '';
  const measurement = JSON.parse(line) as Measurement;
  if (measurement.exitCode !== 0) throw new Error(`${argv.join(' ')} failed:\n${stderr}`);
  return measurement;
}

function throughput(scenario: Scenario, seconds: number): string {
  return scenario.count > 1 ? `${Math.round(scenario.count / seconds).toLocaleString('en')} msg/s` : `${Math.round(scenario.size / MiB / seconds)} MiB/s`;
}

function format(rows: Row[]): string {
  const lines: string[] = [];
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  lines.push(`Run of ${date} UTC on ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; median of ${runs} runs (min–max), each client timed as a whole process including its start-up; peak RSS of the client process.`);
  lines.push('');
  lines.push('| scenario | client | time (s) | throughput | peak RSS (MiB) | sysmail ÷ this (speed) |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const sysmail = rows.find((r) => r.scenario === row.scenario && r.client === 'sysmail');
    const ratio = sysmail !== undefined && row.client !== 'sysmail' ? `${(row.seconds.median / sysmail.seconds.median).toFixed(2)}×` : '';
    lines.push(
      `| ${row.scenario.title} | ${row.client} | ${row.seconds.median.toFixed(3)} (${row.seconds.min.toFixed(3)}–${row.seconds.max.toFixed(3)}) | ` +
        `${throughput(row.scenario, row.seconds.median)} | ${row.rssMiB.median.toFixed(0)} (${row.rssMiB.min.toFixed(0)}–${row.rssMiB.max.toFixed(0)}) | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const native = buildNative();
  const rows: Row[] = [];
  for (const scenario of scenarios) {
    if (only !== undefined && only !== scenario.id) continue;
    const sink = await startSink(native, scenario);
    try {
      for (const client of scenario.clients) {
        const argv = command(client, scenario, native, sink.port);
        if (argv === undefined) {
          process.stderr.write(`skipping ${client}: not present on this machine\n`);
          continue;
        }
        const samples: Measurement[] = [];
        for (let i = 0; i < runs; i++) samples.push(await measure(native, argv));
        const row: Row = {
          scenario,
          client,
          seconds: summarise(samples.map((s) => s.seconds)),
          rssMiB: summarise(samples.map((s) => s.maxRssKiB / 1024)),
        };
        rows.push(row);
        process.stderr.write(`${scenario.title} · ${client}: ${row.seconds.median.toFixed(3)} s, ${row.rssMiB.median.toFixed(0)} MiB\n`);
      }
    } finally {
      sink.stop();
    }
  }
  const table = format(rows);
  process.stdout.write(`${table}\n`);
  mkdirSync(results, { recursive: true });
  writeFileSync(`${results}latest.md`, `${table}\n`);
  if (only === undefined) {
    const text = readFileSync(readme, 'utf8');
    const start = '<!-- bench:start -->';
    const end = '<!-- bench:end -->';
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from >= 0 && to > from) writeFileSync(readme, `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`);
  }
}

await main();
