import { describe, expect, it, vi } from "vitest";
import { maskPhone } from "../../src/phone/phone";
import { type ErrorBody, json, post, uniquePhone } from "../support/helpers";

describe("maskPhone", () => {
  it("hides the middle of a mainland number and at least half of any number", () => {
    expect(maskPhone("+8613800138000")).toBe("+86138****8000");
    expect(maskPhone("+85291234567")).toBe("+852****67");
    expect(maskPhone("+12015550123")).toBe("+1****23");
    expect(maskPhone("not a number")).toBe("+****");
  });
});

describe("error logs", () => {
  it("never carry the values of a failed query (phones, hashes), only its SQL", async () => {
    // A D1 whose every statement fails: drizzle then throws "Failed query: <sql>\nparams: <values>".
    const statement = {
      bind: () => statement,
      all: () => Promise.reject(new Error("D1_ERROR: no such table")),
      raw: () => Promise.reject(new Error("D1_ERROR: no such table")),
      first: () => Promise.reject(new Error("D1_ERROR: no such table")),
      run: () => Promise.reject(new Error("D1_ERROR: no such table")),
    };
    const brokenDb = { prepare: () => statement, batch: () => Promise.reject(new Error("D1_ERROR")) };
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const phone = uniquePhone();
      const response = await post("/v1/auth/password-login", { phone, password: "whatever 123" }, { env: { DB: brokenDb } });
      expect(response.status).toBe(500);
      expect((await json<ErrorBody>(response)).error.code).toBe("internal_error");
      const lines = errors.mock.calls.map((args) => args.map(String).join(" "));
      const failure = lines.find((line) => line.includes("request.failed"));
      expect(failure).toBeDefined();
      expect(failure).toContain("Failed query");
      expect(failure).toContain("[params withheld]");
      for (const line of lines) {
        expect(line).not.toContain(phone);
        expect(line).not.toContain(phone.slice(3));
      }
    } finally {
      errors.mockRestore();
    }
  });
});
