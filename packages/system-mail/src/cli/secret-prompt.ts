import type { CliWriter } from './cli-output.js';

/** A terminal the CLI may prompt on (`process.stdin`): the few stream members the prompt uses. */
export interface PromptInput {
  /** True when the stream is a terminal; the CLI never prompts otherwise. */
  readonly isTTY?: boolean;
  /** Turns raw mode on or off, so typed characters are not echoed. */
  setRawMode?(mode: boolean): unknown;
  /** Listens for typed characters (`data`) or the end of input (`end`). */
  on(event: 'data' | 'end', listener: (chunk: Buffer | string) => void): unknown;
  /** Stops listening. */
  off(event: 'data' | 'end', listener: (chunk: Buffer | string) => void): unknown;
  /** Starts reading. */
  resume(): unknown;
  /** Stops reading, so the process can exit. */
  pause(): unknown;
}

/**
 * Reads a secret from the terminal without echoing it: raw mode, one
 * character at a time, Enter to finish, Backspace to erase, Ctrl-C to cancel.
 *
 * @param input - the terminal.
 * @param output - where the prompt goes (stderr, so stdout stays clean).
 * @param prompt - the question.
 * @returns what was typed, or undefined when cancelled or the input ended.
 */
export function promptSecret(input: PromptInput, output: CliWriter, prompt: string): Promise<string | undefined> {
  output.write(prompt);
  input.setRawMode?.(true);
  input.resume();
  return new Promise((resolve) => {
    let typed = '';
    const finish = (value: string | undefined): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      resolve(value);
    };
    const onEnd = (): void => finish(undefined);
    const onData = (chunk: Buffer | string): void => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return finish(typed);
        if (char === '\u0003' || char === '\u0004') return finish(undefined);
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
  });
}
