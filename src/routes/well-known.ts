import { Hono } from "hono";
import * as z from "zod/mini";
import { publicKeys } from "../auth/access-token";
import type { AppEnv } from "../http/app-env";
import { route } from "../http/contract";

const jwkSchema = z
  .object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string(), kid: z.string(), alg: z.literal("EdDSA"), use: z.literal("sig") })
  .register(z.globalRegistry, { id: "Jwk" });

const jwks = route({
  operationId: "jwks",
  tag: "Meta",
  summary: "The access tokens' public keys",
  description:
    "A JSON Web Key Set (RFC 7517) with every key in JWT_PRIVATE_KEYS, public members only. Verifiers may cache it for 5 minutes; " +
    "during a key rotation the new key is published before it signs (docs/tokens.md).",
  answers: [{ status: 200, description: "The key set.", schema: z.object({ keys: z.array(jwkSchema) }) }],
  errors: [],
});

export const wellKnownRoutes = new Hono<AppEnv>().get("/.well-known/jwks.json", jwks, async (c) => {
  // Short enough that a new key reaches verifiers well before it starts signing, long enough
  // that a verifier fetches it a few times an hour at most.
  c.header("Cache-Control", "public, max-age=300, stale-while-revalidate=60");
  return c.json({ keys: await publicKeys(c.get("config")) }, 200);
});
