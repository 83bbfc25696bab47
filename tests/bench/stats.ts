import * as hdr from 'hdr-histogram-js';

/** Latency figures in milliseconds. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Latencies recorded in microseconds into an HdrHistogram (the same library autocannon uses),
 * read back in milliseconds with three significant digits.
 */
export class Latencies {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  /** Records one latency in milliseconds; negative values are recorded as 0. */
  record(ms: number) {
    this.histogram.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  get count() {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const ms = (us: number) => round(us / 1000);
    return {
      count: h.totalCount,
      mean: ms(h.mean),
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      max: ms(h.maxValue),
    };
  }
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function summarize(values: number[]): LatencySummary {
  const l = new Latencies();
  for (const v of values) l.record(v);
  return l.summary();
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export const MB = 1024 * 1024;
