import { describe, expect, it } from "vitest";
import { get, json } from "../support/helpers";

describe("GET /healthz", () => {
  it("answers ok with the console provider configured", async () => {
    const response = await get("/healthz");
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ ok: true, sms: { console: { ok: true } } });
    expect(response.headers.get("X-Request-Id")).toBeTruthy();
  });
});
