import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/platform/config";
import { configProblems, PRODUCTION_JWT_KEYS } from "../support/config";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
// A production environment that is complete but for the webhook settings under test.
const PRODUCTION = {
  ENVIRONMENT: "production",
  SMS_PROVIDER: "aliyun",
  AUTH_SECRET: "production-secret-0123456789-abcdefghijklmnop",
  TURNSTILE_REQUIRED: "false",
  JWT_PRIVATE_KEYS: PRODUCTION_JWT_KEYS,
};

const problems = configProblems;

describe("webhook settings", () => {
  it("are off by default: no URL, nothing to sign", () => {
    const config = parseConfig({ ENVIRONMENT: "test" });
    expect([config.WEBHOOK_URL, config.WEBHOOK_SECRET, config.WEBHOOK_TIMEOUT_MS]).toEqual([[], undefined, 10000]);
  });

  it("take one URL or a comma list", () => {
    const config = parseConfig({ ...PRODUCTION, WEBHOOK_URL: "https://a.example/hook, https://b.example/h?token=x", WEBHOOK_SECRET: SECRET });
    expect(config.WEBHOOK_URL).toEqual(["https://a.example/hook", "https://b.example/h?token=x"]);
    expect(config.WEBHOOK_SECRET).toBe(SECRET);
  });

  it("refuse a URL without a secret, in every environment", () => {
    for (const env of [{ ENVIRONMENT: "development" }, PRODUCTION]) {
      const found = problems({ ...env, WEBHOOK_URL: "https://a.example/hook" });
      expect(found.map((p) => p.setting)).toEqual(["WEBHOOK_SECRET"]);
      expect(found[0]!.message).toContain("required when WEBHOOK_URL is set");
    }
  });

  it("refuse a malformed secret or URL by name, never echoing the value", () => {
    for (const secret of ["not-a-whsec-secret-value", "whsec_c2hvcnQ=", "whsec_!!!!not-base64!!!!"]) {
      const found = problems({ ENVIRONMENT: "test", WEBHOOK_URL: "https://a.example/", WEBHOOK_SECRET: secret });
      expect(found.map((p) => p.setting)).toEqual(["WEBHOOK_SECRET"]);
      expect(JSON.stringify(found)).not.toContain(secret);
    }
    const found = problems({ ENVIRONMENT: "test", WEBHOOK_URL: "ftp://user:pw@host.example/secret-path", WEBHOOK_SECRET: SECRET });
    expect(found.map((p) => p.setting)).toEqual(["WEBHOOK_URL"]);
    expect(JSON.stringify(found)).not.toContain("secret-path");
  });

  it("refuse a plain-http receiver in production (the payloads carry phone numbers)", () => {
    expect(problems({ ...PRODUCTION, WEBHOOK_URL: "http://a.example/hook", WEBHOOK_SECRET: SECRET }).map((p) => p.setting)).toEqual(["WEBHOOK_URL"]);
    expect(problems({ ENVIRONMENT: "development", WEBHOOK_URL: "http://localhost:3000/hook", WEBHOOK_SECRET: SECRET })).toEqual([]);
  });
});
