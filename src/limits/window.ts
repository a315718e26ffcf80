/**
 * Sliding-window counts kept as per-minute buckets: a bounded amount of state however busy the
 * key is (at most window/60 s buckets), exact to the minute. Every function here is pure: it
 * returns a new set of buckets and leaves the one it was given alone.
 */
export type Buckets = Record<string, number>;

const MINUTE = 60_000;

/**
 * Appends `now` to a list of recent times (oldest first) and drops those older than `windowMs`:
 * an isolate's own recent rate, for deciding when to take blocks (budget-pool.ts, client-pool.ts).
 */
export function noteRecent(recent: number[], now: number, windowMs: number): void {
  recent.push(now);
  let drop = 0;
  while (drop < recent.length && recent[drop]! <= now - windowMs) drop += 1;
  if (drop > 0) recent.splice(0, drop);
}

/** The bucket a time falls in: its minute since the epoch, as the key is stored. */
export const minuteOf = (at: number): string => String(Math.floor(at / MINUTE));

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

/** Counts `amount` (≥ 1) in the bucket of `at`. */
export function add(buckets: Buckets, at: number, amount = 1): Buckets {
  const minute = minuteOf(at);
  return { ...buckets, [minute]: (buckets[minute] ?? 0) + amount };
}

/**
 * Takes back up to `amount` from the bucket `at` was counted in: never from another minute, never
 * below zero (an emptied bucket is dropped). A bucket already pruned has nothing left to take, so
 * the caller must pass the time the count was made, not the time it is taken back.
 */
export function take(buckets: Buckets, at: number, amount = 1): Buckets {
  const minute = minuteOf(at);
  const left = (buckets[minute] ?? 0) - amount;
  const next = { ...buckets };
  if (left > 0) next[minute] = left;
  else delete next[minute];
  return next;
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
