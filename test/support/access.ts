import { SignJWT } from "jose";

/**
 * A Cloudflare Access assertion as Access makes it (RS256 with a `kid`, the team as issuer, the
 * application's AUD as audience, five minutes), built with jose and not yet signed: a test may
 * change any claim before `.sign(key)`.
 */
export function accessAssertion(options: { team: string; aud: string; kid?: string }): SignJWT {
  return new SignJWT({ email: "oncall@example.com" })
    .setProtectedHeader({ alg: "RS256", kid: options.kid ?? "k1" })
    .setIssuer(`https://${options.team}`)
    .setAudience(options.aud)
    .setIssuedAt()
    .setExpirationTime("5m");
}
