/**
 * The audit trail's writes (src/audit/trail-writer.ts): group commit. A quiet request's entries
 * are written right after its answer in one D1 batch; requests answered close together share a
 * write, at most one per WRITE_GAP_MS per isolate, each a batch of at most four statements however
 * many entries it carries; the counters behind /stats stay exact; a failed write is retried once.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WRITE_GAP_MS } from "../../src/audit/trail-writer";
import { auditRows } from "../support/admin";
import { captureSms, post, requestCode, uniquePhone } from "../support/helpers";
import { waitForBackground } from "../support/time";

const sms = captureSms();

afterEach(() => {
  vi.mocked(console.error).mockRestore?.();
});

interface TrailWrite {
  at: number;
  statements: number;
}

/**
 * The D1 binding, recording each batch that writes the trail (the one holding the audit insert):
 * when it began and how many statements it had. `failures` batches of the trail throw first.
 */
function recordingDb(failures = 0) {
  const writes: TrailWrite[] = [];
  let toFail = failures;
  const auditSql = new WeakSet<D1PreparedStatement>();
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare") {
        return (sql: string) => {
          const statement = target.prepare(sql);
          if (sql.startsWith("INSERT INTO audit_events")) auditSql.add(statement);
          return new Proxy(statement, {
            get(inner, name) {
              const value = Reflect.get(inner, name, inner) as unknown;
              if (name === "bind") {
                return (...args: unknown[]) => {
                  const bound = inner.bind(...args);
                  if (auditSql.has(statement)) auditSql.add(bound);
                  return bound;
                };
              }
              return typeof value === "function" ? value.bind(inner) : value;
            },
          });
        };
      }
      if (property === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (statements.some((s) => auditSql.has(s))) {
            writes.push({ at: Date.now(), statements: statements.length });
            if (toFail > 0) {
              toFail -= 1;
              throw new Error("D1_ERROR: simulated outage");
            }
          }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, writes };
}

async function entriesOf(userIds: string[]): Promise<Record<string, unknown>[]> {
  const rows = await auditRows();
  return rows.filter((r) => userIds.includes(r.user_id as string));
}

async function counter(column: "sent" | "verified"): Promise<number> {
  const row = await env.DB.prepare(`SELECT coalesce(sum(${column}), 0) AS n FROM stats_hourly`).first<{ n: number }>();
  return row?.n ?? 0;
}

async function signIn(db: D1Database): Promise<string> {
  const phone = uniquePhone();
  const code = await requestCode(sms, phone);
  const response = await post("/v1/auth/sms-login", { phone, code }, { env: { DB: db } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { user: { id: string } }).user.id;
}

describe("the audit trail's writes", () => {
  it("writes a quiet request's three entries right after its answer, in one batch", async () => {
    const { db, writes } = recordingDb();
    const userId = await signIn(db);
    let mine: Record<string, unknown>[] = [];
    await waitForBackground(async () => {
      mine = await entriesOf([userId]);
      return mine.length === 2;
    });
    const verified = (await auditRows()).find((r) => r.type === "code.verified" && r.phone_hash === mine[0]!.phone_hash);
    expect(verified).toBeDefined();
    expect(mine.map((r) => r.type)).toEqual(["user.created", "sign_in"]);
    expect(writes).toHaveLength(1);
    // The audit rows and the two counters (hourly, range) of code.verified: one statement each.
    expect(writes[0]!.statements).toBe(3);
  });

  it("shares one write among requests answered together: 20 parallel sign-ins, every entry and counter exact", async () => {
    const { db, writes } = recordingDb();
    const phones = Array.from({ length: 20 }, () => uniquePhone());
    const codes = await Promise.all(phones.map((phone) => requestCode(sms, phone)));
    // Let the sends' own writes (to env.DB, another writer) land before the counters are read.
    await waitForBackground(async () => (await auditRows()).filter((r) => r.type === "code.sent").length >= 20);
    const verifiedBefore = await counter("verified");

    const answers = await Promise.all(phones.map((phone, i) => post("/v1/auth/sms-login", { phone, code: codes[i] }, { env: { DB: db } })));
    expect(answers.map((r) => r.status)).toEqual(phones.map(() => 200));
    const userIds = await Promise.all(answers.map(async (r) => ((await r.json()) as { user: { id: string } }).user.id));

    await waitForBackground(async () => (await entriesOf(userIds)).length === 40);
    const entries = await entriesOf(userIds);
    expect(entries.filter((r) => r.type === "sign_in")).toHaveLength(20);
    expect(entries.filter((r) => r.type === "user.created")).toHaveLength(20);
    expect(await counter("verified")).toBe(verifiedBefore + 20);

    // Fewer writes than requests, never two closer than the gap, each at most four statements.
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.length).toBeLessThan(20);
    // A write is scheduled WRITE_GAP_MS after the previous one began; what is recorded here is the
    // batch call, after the keyed hashes, so allow for those (half the gap: still never back to back).
    for (let i = 1; i < writes.length; i += 1) expect(writes[i]!.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(WRITE_GAP_MS / 2);
    expect(Math.max(...writes.map((w) => w.statements))).toBeLessThanOrEqual(4);
  });

  it("retries a failed write once: nothing is lost to one D1 error", async () => {
    const { db, writes } = recordingDb(1);
    const userId = await signIn(db);
    await waitForBackground(async () => (await entriesOf([userId])).length === 2);
    expect(writes).toHaveLength(2);
  });

  it("logs the entries it could not write after the retry, and the sign-in still succeeds", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { db, writes } = recordingDb(2);
    const userId = await signIn(db);
    await waitForBackground(async () => errors.mock.calls.some(([line]) => String(line).includes("events not written")));
    const line = JSON.parse(String(errors.mock.calls.find(([l]) => String(l).includes("events not written"))![0])) as Record<string, unknown>;
    expect(line).toMatchObject({ event: "background.failed", message: "audit trail: 3 events not written" });
    expect(writes).toHaveLength(2);
    expect(await entriesOf([userId])).toEqual([]);
  });
});
