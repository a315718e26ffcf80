import { DurableObject } from "cloudflare:workers";
import { stableToken, type WechatResult, type WechatSettings } from "./api";
import { type CachedToken, cacheEntry, decide } from "./token-cache";

/**
 * The WeChat app's access token, in one place every isolate shares: one object per app id
 * (src/wechat/token.ts names it). It hands out the cached token until shortly before it expires,
 * and fetches a new one from /cgi-bin/stable_token at most once at a time: callers that arrive
 * while a fetch is under way wait for that same fetch. (The stable variant also keeps isolates or
 * deployments that each fetch from invalidating one another's tokens.)
 *
 * The token is kept in the object's memory only, never written to storage: it is an upstream
 * secret. If the object is evicted, the next call asks stable_token again, which in its normal
 * mode answers the same token while it is valid, so nothing is lost but one round trip.
 */
export class WechatAccessToken extends DurableObject<Record<string, unknown>> {
  private cached: CachedToken | undefined;
  private inflight: { force: boolean; result: Promise<WechatResult<string>> } | undefined;

  /**
   * The current token. `stale`: a token the caller just had refused (40001/42001); if it is still
   * the cached one, a new token is fetched with force_refresh, once, however many callers report it.
   */
  async token(settings: WechatSettings, stale?: string): Promise<WechatResult<string>> {
    const decision = decide(this.cached, settings.appId, stale, Date.now());
    if ("use" in decision) return { ok: true, value: decision.use };
    const force = decision.fetch === "force";
    // A fetch under way gives a token at least as new as the one asked for, unless this caller
    // needs a forced refresh and the running fetch is not one.
    if (this.inflight && (this.inflight.force || !force)) return this.inflight.result;
    const result = this.fetchToken(settings, force);
    this.inflight = { force, result };
    try {
      return await result;
    } finally {
      if (this.inflight?.result === result) this.inflight = undefined;
    }
  }

  private async fetchToken(settings: WechatSettings, force: boolean): Promise<WechatResult<string>> {
    const answer = await stableToken(settings, force);
    if (!answer.ok) return answer;
    this.cached = cacheEntry(settings.appId, answer.value.token, answer.value.expiresIn, Date.now());
    return { ok: true, value: answer.value.token };
  }
}
