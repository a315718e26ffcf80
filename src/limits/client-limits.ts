import type { Phone } from "../phone/phone";
import type { Config } from "../platform/config";
import type { RequestScope } from "../platform/scope";
import { type ClientLayer, clientLayers } from "./client-key";
import { clientPool } from "./client-pool";
import { clientLimited, type LimitedKind } from "./refusals";

/**
 * The client-address limits, in layers (issue 10): an IPv4 address and an IPv6 /64 have
 * IP_SENDS_PER_HOUR / IP_VERIFICATIONS_PER_HOUR; an IPv6 /56 and /48 have caps of their own. Each
 * layer is its own ClientGuard, all asked in parallel (one round trip). A request is allowed only
 * if every layer allows it; when one refuses, the layers that counted it are given it back (after
 * the answer, off its path), so a refused request is counted nowhere, as with one layer. The
 * answer is the 429 of the refusing layer with the longest wait (the client can do nothing before).
 *
 * Callers ask this before any shared object (the phone's range, the SMS budget): an address over
 * its limit reaches nothing but its own ClientGuards. That costs one round trip before the others
 * on sends and checks, and none on a refusal.
 */

export type ClientKind = "send" | "verify";

function limitOf(config: Config, kind: ClientKind, layer: ClientLayer["layer"]): number {
  if (kind === "send") {
    return layer === "ipv6/56" ? config.IPV6_56_SENDS_PER_HOUR : layer === "ipv6/48" ? config.IPV6_48_SENDS_PER_HOUR : config.IP_SENDS_PER_HOUR;
  }
  return layer === "ipv6/56"
    ? config.IPV6_56_VERIFICATIONS_PER_HOUR
    : layer === "ipv6/48"
      ? config.IPV6_48_VERIFICATIONS_PER_HOUR
      : config.IP_VERIFICATIONS_PER_HOUR;
}

/**
 * Counts one request of `kind` against every layer of the caller's address; throws 429
 * too_many_requests (logged as ip.limited, `logKind` naming the path) if any layer is full. Each
 * layer is counted through this isolate's pool (client-pool.ts): one ClientGuard call per request
 * for a quiet address, a block now and then for a busy one.
 */
export async function hitClient(scope: RequestScope, kind: ClientKind, phone: Phone | undefined, logKind: LimitedKind = kind): Promise<void> {
  const layers = clientLayers(scope.clientIp);
  const pools = layers.map((layer) => clientPool(scope.env.CLIENT_GUARD, layer.key, kind, limitOf(scope.config, kind, layer.layer)));
  const results = await Promise.allSettled(pools.map((pool) => pool.take(scope.defer)));
  const refused = results.flatMap((r, i) => (r.status === "fulfilled" && !r.value.ok ? [{ layer: layers[i]!, retryAfterMs: r.value.retryAfterMs }] : []));
  const failed = results.find((r) => r.status === "rejected");
  if (refused.length === 0 && !failed) return;

  // Give back what the other layers counted for a request that is refused anyway.
  const givenBack = results.map((r, i) => (r.status === "fulfilled" ? pools[i]!.giveBack(r.value) : undefined)).filter((work) => work !== undefined);
  if (givenBack.length > 0) scope.defer(Promise.all(givenBack));
  if (refused.length === 0) throw (failed as PromiseRejectedResult).reason;
  const worst = refused.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
  throw await clientLimited(scope, logKind, phone, worst.retryAfterMs, worst.layer);
}
