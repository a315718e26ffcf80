/**
 * Sliding-window counts kept as per-minute buckets: a bounded amount of state however busy the
 * key is (at most window/60 s buckets), exact to the minute.
 */
export type Buckets = Record<string, number>;

const MINUTE = 60_000;

export function prune(buckets: Buckets, now: number, windowMs: number): Buckets {
  const oldest = Math.floor((now - windowMs) / MINUTE);
  const kept: Buckets = {};
  for (const [minute, count] of Object.entries(buckets)) {
    if (Number(minute) > oldest) kept[minute] = count;
  }
  return kept;
}

export function total(buckets: Buckets): number {
  let sum = 0;
  for (const count of Object.values(buckets)) sum += count;
  return sum;
}

export function add(buckets: Buckets, now: number, amount = 1): void {
  const minute = String(Math.floor(now / MINUTE));
  buckets[minute] = (buckets[minute] ?? 0) + amount;
  if (buckets[minute]! <= 0) delete buckets[minute];
}

/** Milliseconds until the window's total drops below `limit` (buckets leave whole minutes at a time). */
export function msUntilBelow(buckets: Buckets, now: number, windowMs: number, limit: number): number {
  let excess = total(buckets) - limit + 1;
  const minutes = Object.keys(buckets)
    .map(Number)
    .sort((a, b) => a - b);
  for (const minute of minutes) {
    excess -= buckets[String(minute)]!;
    if (excess <= 0) return Math.max(0, minute * MINUTE + windowMs - now);
  }
  return 0;
}
