/**
 * Per-phase timeouts in milliseconds: either one number for every phase, or a
 * partial map of phase name to milliseconds (unnamed phases keep their default).
 */
export type PhaseTimeouts<Phase extends string> = number | Partial<Record<Phase, number>>;

/**
 * Resolves caller-supplied timeouts against the defaults, refusing values that
 * are not positive finite numbers: a zero or negative deadline would make every
 * operation fail at once, and `Infinity` would reintroduce the hang that
 * deadlines exist to prevent.
 *
 * @param input - what the caller passed, if anything
 * @param defaults - the default for every phase
 * @returns a complete map of phase to milliseconds
 */
export function resolveTimeouts<Phase extends string>(
  input: PhaseTimeouts<Phase> | undefined,
  defaults: Readonly<Record<Phase, number>>,
): Record<Phase, number> {
  const resolved: Record<Phase, number> = { ...defaults };
  const phases = Object.keys(defaults) as Phase[];
  for (const phase of phases) {
    const value = typeof input === 'number' ? input : input?.[phase];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`timeouts.${phase} must be a positive number of milliseconds, got ${String(value)}`);
    }
    resolved[phase] = value;
  }
  return resolved;
}
