import { importJwk, verifyJwt } from "../platform/jws";

/**
 * Cloudflare Access in front of /admin and /v1/admin: Access signs in the operator and adds the
 * `Cf-Access-Jwt-Assertion` header to every request it lets through. The Worker still verifies it
 * (signature against the team's published keys, issuer, audience, expiry), as Cloudflare advises,
 * so a request that reaches the Worker some other way (workers.dev, a route Access does not cover)
 * cannot forge an operator.
 */

/** Keys are kept this long, then fetched again (Access rotates its keys every six weeks). */
const KEYS_MAX_AGE_MS = 10 * 60_000;
/** An unknown `kid` refetches the keys (a rotation), but at most this often: forged kids cannot make us hammer Access. */
const REFETCH_COOLDOWN_MS = 30_000;
const FETCH_TIMEOUT_MS = 5_000;

interface FetchedKeys {
  keys: Map<string, CryptoKey>;
  at: number;
}

/** One team's published keys (`/cdn-cgi/access/certs`), cached per isolate. */
class AccessKeys {
  private fetched: FetchedKeys | undefined;
  private fetching: Promise<FetchedKeys> | undefined;

  constructor(private readonly certsUrl: string) {}

  async keyFor(kid: string): Promise<CryptoKey | undefined> {
    const now = Date.now();
    const current = this.fetched;
    const fresh = current && now - current.at < KEYS_MAX_AGE_MS;
    if (fresh && current.keys.has(kid)) return current.keys.get(kid);
    if (fresh && now - current.at < REFETCH_COOLDOWN_MS) return undefined;
    return (await this.refetch()).keys.get(kid);
  }

  private refetch(): Promise<FetchedKeys> {
    // Requests that miss together share one fetch.
    this.fetching ??= this.load().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async load(): Promise<FetchedKeys> {
    const response = await fetch(this.certsUrl, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`Access certs answered ${response.status}`);
    const body = (await response.json()) as { keys?: unknown };
    const keys = new Map<string, CryptoKey>();
    for (const jwk of Array.isArray(body.keys) ? (body.keys as (JsonWebKey & { kid?: unknown })[]) : []) {
      if (jwk?.kty !== "RSA" || typeof jwk.kid !== "string" || (jwk.alg !== undefined && jwk.alg !== "RS256") || (jwk.use !== undefined && jwk.use !== "sig"))
        continue;
      try {
        keys.set(jwk.kid, await importJwk({ kty: "RSA", n: jwk.n, e: jwk.e }, "RS256", "verify"));
      } catch {
        // One unreadable key does not take the others down with it.
      }
    }
    this.fetched = { keys, at: Date.now() };
    return this.fetched;
  }
}

const keySets = new Map<string, AccessKeys>();

function keysOf(teamDomain: string): AccessKeys {
  let keys = keySets.get(teamDomain);
  if (!keys) {
    keys = new AccessKeys(`https://${teamDomain}/cdn-cgi/access/certs`);
    keySets.set(teamDomain, keys);
  }
  return keys;
}

/** The operator the JWT names (its email; a service token's client id), or undefined when it does not verify. */
export async function verifyAccessJwt(token: string, teamDomain: string, audience: string): Promise<string | undefined> {
  const keys = keysOf(teamDomain);
  let verified: Awaited<ReturnType<typeof verifyJwt>>;
  try {
    verified = await verifyJwt(token, { algorithm: "RS256", keyFor: (kid) => keys.keyFor(kid), issuer: `https://${teamDomain}`, audience });
  } catch {
    // The keys could not be fetched or read: nobody is let in.
    return undefined;
  }
  if (!verified.ok) return undefined;
  const { payload } = verified;
  if (typeof payload.email === "string" && payload.email) return payload.email;
  // A service token (machine access) carries no email; its common_name is the client id.
  if (typeof payload.common_name === "string" && payload.common_name) return `service:${payload.common_name}`;
  return undefined;
}
