/**
 * `npm run bench`: every scenario of the benchmark, each client timed as a
 * whole process (median of BENCH_RUNS runs, default 5, with min–max) with its
 * CPU time and peak RSS, against native sinks on 127.0.0.1. The runs of a
 * scenario are interleaved (run 1 of every client, then run 2…), so a machine
 * whose speed drifts slows every client alike; ratios are computed only between
 * figures of this same run. Writes the tables to bench/results/latest.md and
 * into the README.
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
// Scenario ids (BENCH_ONLY=a,b64) and clients (BENCH_CLIENTS=limit,sysmail), comma-separated, for a quick look.
const only = process.env.BENCH_ONLY?.split(',');
const onlyClients = process.env.BENCH_CLIENTS?.split(',');
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
// At 512 MiB smtplib holds four copies of the message (2 GiB) and poplib a list of
// eight million line objects, for minutes per run: their speed is read at 64 MiB.
const largeSmtpClients: Client[] = ['native-limit', 'limit', 'sysmail', 'nodemailer'];
const largePop3Clients: Client[] = ['native-limit', 'limit', 'sysmail'];
// 1 GiB shows whether peak memory keeps growing past 512 MiB: sysmail and the limits only.
const hugeClients: Client[] = ['native-limit', 'limit', 'sysmail'];
const scenarios: Scenario[] = [
  { id: 'a', title: '(a) SMTP 2,000 × 1 KiB, one connection', protocol: 'smtp', count: 2000, size: 1024, auth: false, clients: smtpClients },
  { id: 'b64', title: '(b) SMTP one 64 MiB message', protocol: 'smtp', count: 1, size: 64 * MiB, auth: false, clients: smtpClients },
  { id: 'b512', title: '(b) SMTP one 512 MiB message', protocol: 'smtp', count: 1, size: 512 * MiB, auth: false, clients: largeSmtpClients },
  { id: 'b1024', title: '(b) SMTP one 1 GiB message', protocol: 'smtp', count: 1, size: 1024 * MiB, auth: false, clients: hugeClients },
  { id: 'c', title: '(c) SMTP AUTH PLAIN + 2,000 × 1 KiB', protocol: 'smtp', count: 2000, size: 1024, auth: true, clients: smtpClients },
  { id: 'd', title: '(d) POP3 retrieve 2,000 × 4 KiB', protocol: 'pop3', count: 2000, size: 4096, auth: false, clients: pop3Clients },
  { id: 'e64', title: '(e) POP3 one 64 MiB message', protocol: 'pop3', count: 1, size: 64 * MiB, auth: false, clients: pop3Clients },
  { id: 'e512', title: '(e) POP3 one 512 MiB message', protocol: 'pop3', count: 1, size: 512 * MiB, auth: false, clients: largePop3Clients },
  { id: 'e1024', title: '(e) POP3 one 1 GiB message', protocol: 'pop3', count: 1, size: 1024 * MiB, auth: false, clients: hugeClients },
];

interface Measurement {
  seconds: number;
  cpuSeconds: number;
  maxRssKiB: number;
  exitCode: number;
  /** The client's own work as the driver reports it (`work-seconds N`), without start-up; NaN for the C limit. */
  workSeconds: number;
}
interface Row {
  scenario: Scenario;
  client: Client;
  seconds: Summary;
  cpuSeconds: Summary;
  workSeconds: Summary;
  rssMiB: Summary;
}

/** A target of issue 8: sysmail's speed over a reference client's, at least `minimum`, in one scenario. */
interface Target {
  scenarios: string[];
  reference: Client;
  minimum: number;
}
const targets: Target[] = [
  { scenarios: ['a'], reference: 'nodemailer', minimum: 10 },
  { scenarios: ['a'], reference: 'smtplib', minimum: 3 },
  { scenarios: ['b64', 'b512'], reference: 'nodemailer', minimum: 5 },
  { scenarios: ['b64', 'b512'], reference: 'limit', minimum: 0.7 },
  { scenarios: ['d'], reference: 'poplib', minimum: 3 },
  { scenarios: ['e64'], reference: 'poplib', minimum: 10 },
  { scenarios: ['e64', 'e512'], reference: 'limit', minimum: 0.5 },
];

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

// Every client runs without the variables that change a runtime's start-up but not
// the client: NODE_EXTRA_CA_CERTS alone makes every Node process parse the whole CA
// bundle before its first line (0.09 s here, against a 0.04 s start), which no
// plaintext loopback benchmark needs and Python never pays.
const clientEnvironment = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'PYTHONSTARTUP'].includes(name)),
);

async function measure(native: Record<NativeProgram, string>, argv: string[]): Promise<Measurement> {
  const child = spawn(native.measure, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: clientEnvironment });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr += text));
  await once(child, 'close');
  const line = stderr.trim().split('\n').pop() ?? '';
  const measurement = JSON.parse(line) as Measurement;
  if (measurement.exitCode !== 0) throw new Error(`${argv.join(' ')} failed:\n${stdout}${stderr}`);
  const work = /^work-seconds ([\d.]+)$/m.exec(stdout);
  measurement.workSeconds = work === null ? Number.NaN : Number(work[1]);
  return measurement;
}

function throughput(scenario: Scenario, seconds: number): string {
  return scenario.count > 1 ? `${Math.round(scenario.count / seconds).toLocaleString('en')} msg/s` : `${Math.round(scenario.size / MiB / seconds)} MiB/s`;
}

const range = (summary: Summary, digits: number): string =>
  `${summary.median.toFixed(digits)} (${summary.min.toFixed(digits)}–${summary.max.toFixed(digits)})`;

function format(rows: Row[]): string {
  const lines: string[] = [];
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os.loadavg()[0]?.toFixed(1) ?? '?';
  lines.push(
    `Run of ${date} UTC on ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${load} at the end; ` +
      `median of ${runs} interleaved runs (min–max), each client timed as a whole process including its start-up, run without NODE_EXTRA_CA_CERTS and NODE_OPTIONS; CPU is user + system time; work is the client's own time as its driver reports it, from after its imports to the end; peak RSS of the client process. ` +
      'Reproduce with `npm run bench`.',
  );
  lines.push('');
  lines.push('| scenario | client | time (s) | CPU (s) | work (s) | throughput | peak RSS (MiB) |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const work = Number.isNaN(row.workSeconds.median) ? '–' : row.workSeconds.median.toFixed(3);
    lines.push(
      `| ${row.scenario.title} | ${row.client} | ${range(row.seconds, 3)} | ${row.cpuSeconds.median.toFixed(3)} | ${work} | ` +
        `${throughput(row.scenario, row.seconds.median)} | ${range(row.rssMiB, 0)} |`,
    );
  }
  lines.push('');
  lines.push(
    'Same-run ratios: sysmail\'s speed over each other client\'s, the other\'s median whole-process time ÷ sysmail\'s (above 1: sysmail is faster); ' +
      'in brackets the same ratio of work times, without process start-up. Targets are judged on whole-process time.',
  );
  lines.push('');
  lines.push('| scenario | vs Nodemailer | vs smtplib / poplib | vs Node limit | vs C limit | targets |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const scenario of scenarios) {
    const sysmail = rows.find((r) => r.scenario === scenario && r.client === 'sysmail');
    if (sysmail === undefined) continue;
    const ratio = (client: Client): number | undefined => {
      const other = rows.find((r) => r.scenario === scenario && r.client === client);
      return other === undefined ? undefined : other.seconds.median / sysmail.seconds.median;
    };
    const show = (client: Client): string => {
      const value = ratio(client);
      const other = rows.find((r) => r.scenario === scenario && r.client === client);
      if (value === undefined || other === undefined) return '–';
      const work = other.workSeconds.median / sysmail.workSeconds.median;
      return Number.isNaN(work) ? `${value.toFixed(2)}×` : `${value.toFixed(2)}× (${work.toFixed(2)}×)`;
    };
    const verdicts = targets
      .filter((target) => target.scenarios.includes(scenario.id))
      .map((target) => {
        const value = ratio(target.reference);
        if (value === undefined) return `${target.reference} ≥ ${target.minimum}×: not measured`;
        return `${target.reference} ≥ ${target.minimum}×: ${value >= target.minimum ? 'met' : 'missed'}`;
      });
    const python = scenario.protocol === 'smtp' ? 'smtplib' : 'poplib';
    lines.push(`| ${scenario.title} | ${show('nodemailer')} | ${show(python)} | ${show('limit')} | ${show('native-limit')} | ${verdicts.join('; ') || '–'} |`);
  }
  const memory = (protocol: Scenario['protocol']): string | undefined => {
    const rss = (size: number): number | undefined =>
      rows.find((r) => r.scenario.protocol === protocol && r.scenario.count === 1 && r.scenario.size === size && r.client === 'sysmail')?.rssMiB.median;
    const [small, large, huge] = [rss(64 * MiB), rss(512 * MiB), rss(1024 * MiB)];
    if (small === undefined || large === undefined) return undefined;
    const growth = large / small;
    const hugeCells = huge === undefined ? '– | –' : `${huge.toFixed(0)} | ${(huge / large).toFixed(2)}×`;
    return `| ${protocol.toUpperCase()} | ${small.toFixed(0)} | ${large.toFixed(0)} | ${hugeCells} | ${growth.toFixed(2)}× | ${growth <= 1.1 ? 'met' : 'missed'} |`;
  };
  const memoryRows = [memory('smtp'), memory('pop3')].filter((row): row is string => row !== undefined);
  if (memoryRows.length > 0) {
    lines.push('');
    lines.push("sysmail's peak RSS in MiB for one message of 64 MiB, 512 MiB and 1 GiB (target: 512 MiB within 10 % of 64 MiB).");
    lines.push('');
    lines.push('| protocol | 64 MiB | 512 MiB | 1 GiB | 1 GiB ÷ 512 MiB | 512 ÷ 64 | target |');
    lines.push('| --- | --- | --- | --- | --- | --- | --- |');
    lines.push(...memoryRows);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const native = buildNative();
  const rows: Row[] = [];
  for (const scenario of scenarios) {
    if (only !== undefined && !only.includes(scenario.id)) continue;
    const sink = await startSink(native, scenario);
    try {
      const present = scenario.clients.flatMap((client) => {
        if (onlyClients !== undefined && !onlyClients.includes(client)) return [];
        const argv = command(client, scenario, native, sink.port);
        if (argv === undefined) process.stderr.write(`skipping ${client}: not present on this machine\n`);
        return argv === undefined ? [] : [{ client, argv, samples: [] as Measurement[] }];
      });
      for (let i = 0; i < runs; i++) {
        for (const entry of present) entry.samples.push(await measure(native, entry.argv));
      }
      for (const { client, samples } of present) {
        const row: Row = {
          scenario,
          client,
          seconds: summarise(samples.map((s) => s.seconds)),
          cpuSeconds: summarise(samples.map((s) => s.cpuSeconds)),
          workSeconds: summarise(samples.map((s) => s.workSeconds)),
          rssMiB: summarise(samples.map((s) => s.maxRssKiB / 1024)),
        };
        rows.push(row);
        process.stderr.write(`${scenario.title} · ${client}: ${row.seconds.median.toFixed(3)} s, CPU ${row.cpuSeconds.median.toFixed(3)} s, ${row.rssMiB.median.toFixed(0)} MiB\n`);
      }
    } finally {
      sink.stop();
    }
  }
  const table = format(rows);
  process.stdout.write(`${table}\n`);
  mkdirSync(results, { recursive: true });
  writeFileSync(`${results}latest.md`, `${table}\n`);
  if (only === undefined && onlyClients === undefined) {
    const text = readFileSync(readme, 'utf8');
    const start = '<!-- bench:start -->';
    const end = '<!-- bench:end -->';
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from >= 0 && to > from) writeFileSync(readme, `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`);
  }
}

await main();
