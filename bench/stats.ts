/**
 * Summaries of repeated samples: the median is the figure, min and max show the spread.
 * @module
 */

/** Median, min, max and the 99th percentile of `samples` (nearest rank). */
export interface Summary {
  median: number;
  min: number;
  max: number;
  p99: number;
  samples: number;
}

/** The value at nearest rank `q` (0..1) of ascending `sorted`. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], p99: percentile(s, 0.99), samples: s.length };
}
