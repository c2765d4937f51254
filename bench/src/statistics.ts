/** The median, minimum and maximum of a sample. */
export interface Summary {
  /** The median (mean of the middle two for an even count). */
  median: number;
  /** The smallest value. */
  min: number;
  /** The largest value. */
  max: number;
}

/**
 * Summarises a non-empty sample.
 *
 * @param values - the measurements
 * @returns median, min and max
 */
export function summarise(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('no measurements');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}
