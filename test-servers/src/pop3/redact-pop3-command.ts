/**
 * The form of a command line that may be recorded: PASS and APOP secrets and AUTH
 * initial responses become `<redacted>`.
 * @param line - the command line without CRLF
 */
export function redactPop3Command(line: string): string {
  const [keyword = '', ...args] = line.split(' ');
  switch (keyword.toUpperCase()) {
    case 'PASS':
      return `${keyword} <redacted>`;
    case 'APOP':
      return args.length > 1 ? `${keyword} ${args[0] ?? ''} <redacted>` : line;
    case 'AUTH':
      return args.length > 1 ? `${keyword} ${args[0] ?? ''} <redacted>` : line;
    default:
      return line;
  }
}
