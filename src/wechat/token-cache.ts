/**
 * When the cached access token may be handed out, as a pure function of (cache, request, now) so
 * it is tested with any clock (test/unit/wechat-token-cache.test.ts).
 */
export interface CachedToken {
  appId: string;
  token: string;
  /** Unix ms after which the token is fetched again, a margin before WeChat's expiry. */
  refreshAt: number;
}

/** Refetch this long before WeChat's expires_in runs out (at most half the token's life). */
export const REFRESH_MARGIN_SECONDS = 300;

export type TokenDecision = { use: string } | { fetch: "normal" | "force" };

/**
 * `stale` is a token the caller just saw refused (40001/42001). If the cache still holds that very
 * token, WeChat must be asked for a new one (force_refresh); if the cache already moved on (another
 * caller refreshed meanwhile), the newer token is used without asking WeChat again.
 */
export function decide(cached: CachedToken | undefined, appId: string, stale: string | undefined, now: number): TokenDecision {
  const current = cached && cached.appId === appId ? cached : undefined;
  if (current && stale !== undefined && current.token === stale) return { fetch: "force" };
  if (current && current.refreshAt > now) return { use: current.token };
  return { fetch: stale !== undefined && !current ? "force" : "normal" };
}

/** The cache entry for a token WeChat just gave, valid for `expiresIn` seconds. */
export function cacheEntry(appId: string, token: string, expiresIn: number, now: number): CachedToken {
  const margin = Math.min(REFRESH_MARGIN_SECONDS, Math.floor(expiresIn / 2));
  return { appId, token, refreshAt: now + (expiresIn - margin) * 1000 };
}
