/**
 * The interop matrix's rows and the tags that tie a test to its cells. A test
 * names its cells in its title (`[SMTP: STARTTLS + PLAIN]`); the matrix
 * reporter reads them back, so a cell passes only when every test tagged with
 * it passed in the last run.
 */

/** The columns of the matrix. */
export type MatrixColumn = 'SMTP' | 'POP3';

/** One row: its label and, per column, whether a test must fill it or it does not apply. */
export interface MatrixRow {
  /** The row label, as written in test titles. */
  readonly label: string;
  /** Columns where the row does not apply, each with the reason. */
  readonly notApplicable: Partial<Record<MatrixColumn, string>>;
}

const SASL_MECHANISMS = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5'] as const;
const MODES = ['STARTTLS', 'Implicit TLS', 'Plaintext'] as const;

/** A link protection mode as the matrix names it. */
export type MatrixMode = (typeof MODES)[number];

function modeRows(mode: MatrixMode): MatrixRow[] {
  return [
    ...SASL_MECHANISMS.map((mechanism) => ({ label: `${mode} + ${mechanism}`, notApplicable: {} })),
    { label: `${mode} + USER/PASS`, notApplicable: { SMTP: 'no such SMTP login' } },
    { label: `${mode} + APOP`, notApplicable: { SMTP: 'no such SMTP login' } },
  ];
}

/** Every row, in the order the matrix shows them. */
export const MATRIX_ROWS: readonly MatrixRow[] = [
  ...MODES.flatMap(modeRows),
  { label: 'Auto-selected mechanism (no mechanism given)', notApplicable: {} },
  { label: 'Plaintext password refused without allowPlaintextAuth', notApplicable: {} },
  { label: 'Wrong password: typed auth error', notApplicable: {} },
  { label: 'Login held back by the server penalty: typed timeout', notApplicable: {} },
  { label: 'STARTTLS required, listener without it: typed error', notApplicable: { POP3: 'every Dovecot listener offers STLS or is implicit TLS' } },
  { label: 'TLS required, plaintext listener: typed error', notApplicable: {} },
  { label: 'Certificate: run CA accepted', notApplicable: {} },
  { label: 'Certificate: system default trust refused', notApplicable: {} },
  { label: 'Certificate: wrong server name refused', notApplicable: {} },
  { label: 'AUTH only after TLS (submission)', notApplicable: { POP3: 'Dovecot allows login before STLS here' } },
  { label: 'POP before SMTP: refused before a POP3 login', notApplicable: { POP3: 'an SMTP listener policy' } },
  { label: 'POP before SMTP: accepted after a POP3 login', notApplicable: {} },
  { label: 'POP before SMTP: refused after the window', notApplicable: { POP3: 'an SMTP listener policy' } },
  { label: 'Delivery: bytes intact end to end', notApplicable: {} },
  { label: 'Delivery: Japanese subject and body (composeMessage)', notApplicable: {} },
  { label: 'Delivery: pipelined envelope, partial refusal', notApplicable: { POP3: 'SMTP pipelining' } },
  { label: 'Delivery: SMTPUTF8 sender, DSN parameters', notApplicable: { POP3: 'SMTP extensions' } },
  { label: 'Commands: STAT, LIST, UIDL, TOP, NOOP, RSET, DELE', notApplicable: { SMTP: 'POP3 commands' } },
  { label: 'Large message (64 MiB) intact', notApplicable: {} },
  { label: 'System mailer: POP before SMTP with its wait', notApplicable: {} },
  { label: 'System mailer: SMTP AUTH as configured', notApplicable: { POP3: 'no POP3 in this path' } },
  { label: 'Pipelined retrieveMany / deleteMany', notApplicable: { SMTP: 'POP3 commands' } },
];

/**
 * The title fragment that files a test under matrix cells.
 *
 * @param label - a row label from {@link MATRIX_ROWS}
 * @param columns - the columns the test proves
 * @returns the tag, e.g. `[SMTP: STARTTLS + PLAIN]`
 * @throws Error for an unknown row or a column where the row does not apply
 */
export function cell(label: string, ...columns: MatrixColumn[]): string {
  const row = MATRIX_ROWS.find((r) => r.label === label);
  if (row === undefined) throw new Error(`No interop matrix row ${JSON.stringify(label)}.`);
  for (const column of columns) {
    if (row.notApplicable[column] !== undefined) throw new Error(`Matrix row ${label} does not apply to ${column}.`);
  }
  return columns.map((column) => `[${column}: ${label}]`).join(' ');
}

/**
 * Reads the cells a test title files the test under.
 *
 * @param title - a test's full name
 * @returns the column and row label of every tag in it
 */
export function cellsOf(title: string): { column: MatrixColumn; label: string }[] {
  return [...title.matchAll(/\[(SMTP|POP3): ([^\]]+)\]/g)].map((m) => ({ column: m[1] as MatrixColumn, label: m[2] ?? '' }));
}
