import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";

/**
 * Cloudflare Access in front of /admin and /v1/admin: Access signs in the operator and adds the
 * `Cf-Access-Jwt-Assertion` header to every request it lets through. The Worker still verifies it
 * (signature against the team's published keys, issuer, audience, expiry), as Cloudflare advises,
 * so a request that reaches the Worker some other way (workers.dev, a route Access does not cover)
 * cannot forge an operator.
 */

// jose caches the fetched keys and refetches on an unknown `kid` (key rotation), at most every 30 s.
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keysOf(teamDomain: string) {
  let keys = keySets.get(teamDomain);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(`https://${teamDomain}/cdn-cgi/access/certs`), { timeoutDuration: 5000 });
    keySets.set(teamDomain, keys);
  }
  return keys;
}

/** The operator the JWT names (its email; a service token's client id), or undefined when it does not verify. */
export async function verifyAccessJwt(token: string, teamDomain: string, audience: string): Promise<string | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keysOf(teamDomain), { issuer: `https://${teamDomain}`, audience, algorithms: ["RS256"] }));
  } catch {
    return undefined;
  }
  if (typeof payload.email === "string" && payload.email) return payload.email;
  // A service token (machine access) carries no email; its common_name is the client id.
  if (typeof payload.common_name === "string" && payload.common_name) return `service:${payload.common_name}`;
  return undefined;
}
