import type { FakeSmtpScriptCommand, FakeSmtpScriptRule } from './fake-smtp-types.js';

/**
 * The scripted rules of one server, with how often each may still apply. Shared by all
 * its sessions, so `times: 1` on CONNECT refuses only the first connection.
 */
export class ScriptBook {
  readonly #rules: { rule: FakeSmtpScriptRule; left: number }[];

  /**
   * Wraps the rules, in order of precedence.
   *
   * @param rules - the server's script
   */
  constructor(rules: readonly FakeSmtpScriptRule[]) {
    this.#rules = rules.map((rule) => ({ rule, left: rule.times ?? Infinity }));
  }

  /**
   * Takes the first rule that still applies to this command, counting one use.
   *
   * @param command - which command (or CONNECT / DATA-END)
   * @param subject - what `match` is tested against: the command line, or the message for DATA-END
   * @returns the rule, or undefined when the server answers by itself
   */
  take(command: FakeSmtpScriptCommand, subject: string): FakeSmtpScriptRule | undefined {
    for (const entry of this.#rules) {
      if (entry.rule.command !== command || entry.left <= 0 || !matches(entry.rule.match, subject)) continue;
      entry.left--;
      return entry.rule;
    }
    return undefined;
  }
}

function matches(match: RegExp | string | undefined, subject: string): boolean {
  if (match === undefined) return true;
  if (typeof match === 'string') return subject.toLowerCase().includes(match.toLowerCase());
  match.lastIndex = 0;
  return match.test(subject);
}
