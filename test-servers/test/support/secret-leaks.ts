import { inspect } from 'node:util';
import type { SecretCaptureSource } from '@sysmail/test-servers';

/**
 * Secrets shorter than this are not looked for: a two-letter test password such as
 * "pw" occurs in ordinary words. The transcript scrubber has the same floor.
 */
export const MIN_CHECKED_SECRET_LENGTH = 4;

/** Something a test produced that must hold no secret. */
export type Capture =
  | { readonly source: 'transcript' | 'console' | 'settings-view'; readonly where: string; readonly text: string }
  | { readonly source: 'error'; readonly where: string; readonly renderings: readonly ErrorRendering[] };

/** One way an error can be shown. */
export interface ErrorRendering {
  /** Which: `message`, `cause #n`, `util.inspect`, `JSON.stringify`. */
  readonly label: string;
  /** The text. */
  readonly text: string;
}

/** A secret found where it must not be. */
export interface SecretLeak {
  /** What the secret is ("SMTP password"), never its value. */
  readonly kind: string;
  /** The capture source it was found in. */
  readonly source: SecretCaptureSource;
  /** Which capture: the error class and rendering, the transcript direction, the console method. */
  readonly where: string;
  /** The text around the finding, with the secret replaced by its kind. */
  readonly excerpt: string;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/**
 * Every rendering of an error a caller might print or ship: the message, each cause's
 * message (followed to the end of the chain, as `util.inspect` shows nested causes only to a
 * depth), `util.inspect` of the error, and `JSON.stringify` of its enumerable fields.
 */
export function renderError(error: Error): ErrorRendering[] {
  const renderings: ErrorRendering[] = [{ label: 'message', text: error.message }];
  const seen = new Set<unknown>([error]);
  let cause: unknown = error.cause;
  for (let depth = 1; cause !== undefined && !seen.has(cause); depth += 1) {
    seen.add(cause);
    const text = cause instanceof Error ? cause.message : inspect(cause, { depth: 8 });
    renderings.push({ label: `cause #${depth}`, text });
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  // Last, so that a finding names the most specific rendering it was in.
  renderings.push({ label: 'util.inspect', text: inspect(error, { depth: 8 }) }, { label: 'JSON.stringify', text: safeJson(error) });
  return renderings;
}

function excerptOf(text: string, secret: string, kind: string): string {
  const marker = `<the ${kind}>`;
  // Masked before cutting, so no occurrence can survive half-cut at the excerpt's edge.
  const masked = text.split(secret).join(marker);
  const at = masked.indexOf(marker);
  return masked.slice(Math.max(0, at - 60), at + marker.length + 60).replace(/\s+/g, ' ');
}

/**
 * Looks for every registered secret in every capture.
 *
 * @param secrets - secret value to its kind
 * @param captures - what the test produced
 * @param skipped - capture sources the test opted out of
 * @returns one finding per secret and capture (a secret found in several renderings of one error counts once)
 */
export function findSecretLeaks(
  secrets: ReadonlyMap<string, string>,
  captures: Iterable<Capture>,
  skipped: ReadonlySet<SecretCaptureSource> = new Set(),
): SecretLeak[] {
  const checked = [...secrets].filter(([value]) => value.length >= MIN_CHECKED_SECRET_LENGTH);
  const leaks: SecretLeak[] = [];
  if (checked.length === 0) return leaks;
  for (const capture of captures) {
    if (skipped.has(capture.source)) continue;
    const texts = capture.source === 'error' ? capture.renderings : [{ label: '', text: capture.text }];
    for (const [value, kind] of checked) {
      const hit = texts.find(({ text }) => text.includes(value));
      if (hit === undefined) continue;
      const where = hit.label === '' ? capture.where : `${capture.where}, ${hit.label}`;
      leaks.push({ kind, source: capture.source, where, excerpt: excerptOf(hit.text, value, kind) });
    }
  }
  return leaks;
}

/**
 * The failure text for leaks: kinds, places and masked excerpts, never a secret.
 *
 * @param leaks - what {@link findSecretLeaks} found
 * @returns a message for the failing test
 */
export function describeSecretLeaks(leaks: readonly SecretLeak[]): string {
  const lines = leaks.slice(0, 10).map((leak) => `- the ${leak.kind} appeared in ${leak.source} (${leak.where}): …${leak.excerpt}…`);
  if (leaks.length > 10) lines.push(`- and ${leaks.length - 10} more`);
  return [
    'Secret hygiene: a configured secret reached a place it must never reach.',
    ...lines,
    'Fix the code that produced it (redact, scrub or leave the secret out). Only a test that puts a secret there on purpose may call allowSecretIn(source, reason).',
  ].join('\n');
}
