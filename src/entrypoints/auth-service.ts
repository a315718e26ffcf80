import { WorkerEntrypoint } from "cloudflare:workers";
import { readAccessToken } from "../auth/access-token";
import { loadSession } from "../auth/sessions";
import { createDb } from "../db/client";
import { getConfig } from "../platform/config";

export type VerifyResult =
  | { ok: true; userId: string; sessionId: string; phone: string | null }
  | { ok: false; code: "invalid_token" | "token_expired" | "session_ended" | "account_disabled" };

/**
 * The verifier other Workers bind to (docs/tokens.md):
 *
 *   [[services]]
 *   binding = "AUTH"
 *   service = "edge-phone-auth"
 *   entrypoint = "AuthService"
 *
 * and call as `await env.AUTH.verifyAccessToken(token)`: an RPC with no network hop. The check is
 * the signature, issuer, audience and expiry; with `checkRevoked: true` also the session in D1,
 * so a token of an ended session is refused at once (one D1 read), as this API's own routes do.
 */
export class AuthService extends WorkerEntrypoint<Env> {
  async verifyAccessToken(token: string, options: { checkRevoked?: boolean } = {}): Promise<VerifyResult> {
    if (typeof token !== "string") return { ok: false, code: "invalid_token" };
    const config = getConfig(this.env);
    const read = await readAccessToken(config, token);
    if (!read.ok) return read;
    const { userId, sessionId, phone } = read.claims;
    if (options.checkRevoked === true) {
      const session = await loadSession(createDb(this.env.DB), sessionId, userId);
      if (!session) return { ok: false, code: "session_ended" };
      if (session.user.bannedAt !== null) return { ok: false, code: "account_disabled" };
    }
    return { ok: true, userId, sessionId, phone };
  }
}
