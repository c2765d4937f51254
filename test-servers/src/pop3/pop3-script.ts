import type { FakePop3Command, FakePop3RuleAction, FakePop3ScriptRule } from './fake-pop3-types.js';

/** The script rules of one server, with how many times each may still fire (shared by every session). */
export class Pop3Script {
  readonly #rules: { rule: FakePop3ScriptRule; remaining: number }[];

  /**
   * Takes the configured rules.
   * @param rules - the rules, tried in order
   */
  constructor(rules: readonly FakePop3ScriptRule[]) {
    this.#rules = rules.map((rule) => ({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY }));
  }

  /**
   * Finds the first rule that intercepts a command line and uses up one of its firings.
   * @param command - the command keyword, upper case, or `CONNECT`
   * @param line - the command line without CRLF (empty for `CONNECT`)
   * @returns the action to perform, or undefined to execute the command normally
   */
  take(command: FakePop3Command | string, line: string): FakePop3RuleAction | undefined {
    for (const entry of this.#rules) {
      const { rule } = entry;
      if (entry.remaining <= 0 || rule.command !== command || !matches(rule.match, line)) continue;
      entry.remaining -= 1;
      return rule;
    }
    return undefined;
  }
}

function matches(match: string | RegExp | undefined, line: string): boolean {
  if (match === undefined) return true;
  if (typeof match === 'string') return line.toLowerCase().includes(match.toLowerCase());
  match.lastIndex = 0;
  return match.test(line);
}
