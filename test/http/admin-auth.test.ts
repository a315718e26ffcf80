import { describe, expect, it } from "vitest";
import { ADMIN_KEY, admin, waitForAudit } from "../support/admin";
import { call, type ErrorBody, get, json, uniqueIp } from "../support/helpers";

const ROUTES: [string, string, unknown?][] = [
  ["GET", "/v1/admin/users?phone=%2B8613800138000"],
  ["GET", "/v1/admin/users/00000000-0000-0000-0000-000000000000"],
  ["POST", "/v1/admin/users/00000000-0000-0000-0000-000000000000/ban", { reason: "x" }],
  ["POST", "/v1/admin/users/00000000-0000-0000-0000-000000000000/unban"],
  ["DELETE", "/v1/admin/users/00000000-0000-0000-0000-000000000000/sessions"],
  ["GET", "/v1/admin/phones/%2B8613800138000"],
  ["POST", "/v1/admin/phones/%2B8613800138000/unlock"],
  ["GET", "/v1/admin/ranges/blocked"],
  ["DELETE", "/v1/admin/ranges/%2B861380013/block"],
  ["GET", "/v1/admin/budget"],
  ["GET", "/v1/admin/audit"],
  ["GET", "/v1/admin/stats?days=7"],
  ["GET", "/v1/admin/stats/hourly"],
  ["GET", "/admin"],
  ["GET", "/admin/console.js"],
];

describe("who may call the admin API", () => {
  it("answers 404 not_found on every admin route when no admin credential is configured", async () => {
    for (const [method, path, body] of ROUTES) {
      const response = await call(method, path, body, { env: { ADMIN_API_KEYS: "" }, headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect((await json<ErrorBody>(response)).error.code).toBe("not_found");
    }
  });

  it("answers 401 admin_unauthorized without a key or with a wrong one, on every admin API route", async () => {
    for (const [method, path, body] of ROUTES.filter(([, path]) => path.startsWith("/v1/"))) {
      for (const headers of [{}, { Authorization: "Bearer wrong-key-0123456789abcdef" }, { Authorization: `Bearer ${ADMIN_KEY}x` }] as Record<
        string,
        string
      >[]) {
        const response = await call(method, path, body, { headers });
        expect(response.status, `${method} ${path}`).toBe(401);
        expect((await json<ErrorBody>(response)).error.code).toBe("admin_unauthorized");
      }
    }
  });

  it("lets the right key in, on every route", async () => {
    for (const [method, path, body] of ROUTES) {
      const response = await call(method, path, body, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
      expect([200, 404], `${method} ${path}`).toContain(response.status);
      if (response.status === 404) expect((await json<ErrorBody>(response)).error.code).toBe("user_not_found");
    }
  });

  it("checks the credential before the body: a bad body without a key is 401, not 400", async () => {
    const response = await call("POST", "/v1/admin/users/00000000-0000-0000-0000-000000000000/ban", { nope: 1 });
    expect(response.status).toBe(401);
    const withKey = await admin("POST", "/v1/admin/users/00000000-0000-0000-0000-000000000000/ban".slice("/v1/admin".length), { nope: 1 });
    expect(withKey.status).toBe(400);
  });

  it("counts failures against the address like failed passwords: the 31st in an hour is 429", async () => {
    const ip = uniqueIp();
    const answers = await Promise.all(
      Array.from({ length: 31 }, () => get("/v1/admin/budget", { ip, headers: { Authorization: "Bearer not-the-key-0123456789" } })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    // The operator's own key still works from that address: only failures count.
    expect((await get("/v1/admin/budget", { ip, headers: { Authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(200);
    await waitForAudit((row) => row.type === "admin.denied");
  });

  it("serves the console page only with an admin credential configured, with a strict CSP", async () => {
    const page = await get("/admin");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(page.headers.get("Content-Security-Policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('src="/admin/console.js"');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await get("/admin/console.js");
    expect(script.status).toBe(200);
    expect(await script.text()).toContain("/v1/admin");
  });
});
