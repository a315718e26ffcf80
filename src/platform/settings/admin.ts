import * as z from "zod/mini";
import { int, list, preprocess } from "./parse";

/**
 * The admin API and console (docs/admin.md). Either credential turns them on; with neither, every
 * admin route answers 404 as if it did not exist.
 *
 * - ADMIN_API_KEYS (secret): the SHA-256 of each admin key, lowercase hex, comma-separated. Never
 *   the keys: a leaked setting does not let anyone in. `npm run admin-key:new` makes a key.
 * - ACCESS_TEAM_DOMAIN + ACCESS_AUD: Cloudflare Access in front of /admin and /v1/admin; the
 *   Cf-Access-Jwt-Assertion JWT is verified against the team's published keys. Both or neither.
 */
export const adminSettings = {
  ADMIN_API_KEYS: z.pipe(list(""), z.array(z.string().check(z.regex(/^[0-9a-f]{64}$/, "SHA-256 hashes in lowercase hex (npm run admin-key:new)")))),
  ACCESS_TEAM_DOMAIN: preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .trim()
            .replace(/^https:\/\//, "")
            .replace(/\/+$/, "") || undefined
        : v,
    z.optional(z.string().check(z.regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i, "a host name such as your-team.cloudflareaccess.com"))),
  ),
  ACCESS_AUD: preprocess((v) => (v === "" ? undefined : v), z.optional(z.string().check(z.minLength(16, "the Application Audience (AUD) tag")))),
  /** Days the audit trail is kept; the daily Cron Trigger deletes older entries. */
  AUDIT_RETENTION_DAYS: int(30, 1, 3650),
};

interface AdminSettings {
  ACCESS_TEAM_DOMAIN?: string | undefined;
  ACCESS_AUD?: string | undefined;
}

/** Access half-configured would verify nothing useful: the config refuses it, naming the missing one. */
export function adminSettingIssues(cfg: AdminSettings): { setting: string; message: string }[] {
  if (cfg.ACCESS_TEAM_DOMAIN && !cfg.ACCESS_AUD) return [{ setting: "ACCESS_AUD", message: "missing while ACCESS_TEAM_DOMAIN is set" }];
  if (cfg.ACCESS_AUD && !cfg.ACCESS_TEAM_DOMAIN) return [{ setting: "ACCESS_TEAM_DOMAIN", message: "missing while ACCESS_AUD is set" }];
  return [];
}
