/**
 * The audit trail writes one D1 batch per request, not one per event (src/audit/sink.ts): an SMS
 * login's code.verified, user.created and sign_in entries, with their counters, go in one round
 * trip after the answer, next to the sign-in's own batch.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { auditRows } from "../support/admin";
import { captureSms, post, requestCode, uniquePhone } from "../support/helpers";
import { waitForBackground } from "../support/time";

const sms = captureSms();

/** The D1 binding, counting the batches it is asked to run. */
function countingDb() {
  const counter = { batches: 0 };
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === "batch") {
        return (...args: Parameters<D1Database["batch"]>) => {
          counter.batches += 1;
          return target.batch(...args);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, counter };
}

describe("the audit trail's writes", () => {
  it("puts an SMS login's three entries in one batch, after the sign-in's own", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const { db, counter } = countingDb();
    const login = await post("/v1/auth/sms-login", { phone, code }, { env: { DB: db } });
    expect(login.status).toBe(200);
    const { user } = (await login.json()) as { user: { id: string } };
    let mine: Record<string, unknown>[] = [];
    await waitForBackground(async () => {
      const rows = await auditRows();
      const signedIn = rows.find((r) => r.user_id === user.id && r.type === "sign_in");
      mine = signedIn ? rows.filter((r) => r.phone_hash === signedIn.phone_hash && r.type !== "code.sent") : [];
      return mine.length === 3;
    });
    expect(mine.map((r) => r.type)).toEqual(["code.verified", "user.created", "sign_in"]);
    // The sign-in's batch and one audit batch: before, one per event (three).
    expect(counter.batches).toBe(2);
  });
});
