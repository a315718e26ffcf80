import { env } from "cloudflare:workers";
import { type CallOptions, call } from "./helpers";
import { waitForBackground } from "./time";

/** The admin key the tests' ADMIN_API_KEYS (vitest.config.ts) holds the SHA-256 of. */
export const ADMIN_KEY = "test-admin-key-0123456789abcdef";

/** Calls the admin API with the test key (or `options.headers` of its own). */
export function admin(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<Response> {
  return call(method, `/v1/admin${path}`, body, { ...options, headers: { Authorization: `Bearer ${ADMIN_KEY}`, ...options.headers } });
}

export interface AuditEntry {
  id: number;
  type: string;
  actor: string | null;
  userId: string | null;
  phone: string | null;
  client: string | null;
  detail: Record<string, unknown> | null;
}

/** The audit rows as D1 holds them, raw, for checks the API would hide. */
export async function auditRows(): Promise<Record<string, unknown>[]> {
  return (await env.DB.prepare("SELECT * FROM audit_events ORDER BY id").all()).results;
}

/** Waits until the audit trail (written after the answer) has an entry matching `match`. */
export async function waitForAudit(match: (row: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await waitForBackground(async () => {
    found = (await auditRows()).find(match);
    return found !== undefined;
  });
  return found!;
}
