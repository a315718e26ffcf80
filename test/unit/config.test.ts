import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/platform/config";
import { DEV_JWT_KEY } from "../../src/platform/settings/tokens";
import { configProblems, PRODUCTION_JWT_KEYS } from "../support/config";

const KEYS = PRODUCTION_JWT_KEYS;

const problems = configProblems;

describe("configuration", () => {
  it("is production unless told otherwise, so a bare deploy fails closed", () => {
    expect(
      problems({})
        .map((p) => p.setting)
        .sort(),
    ).toEqual(["AUTH_SECRET", "JWT_PRIVATE_KEYS"]);
    // Turnstile is required in production too (issue 10), unless TURNSTILE_REQUIRED=false.
    expect(
      problems({ SMS_PROVIDER: "console", AUTH_SECRET: "dev-only-secret-copied-from-development-000", JWT_PRIVATE_KEYS: KEYS })
        .map((p) => p.setting)
        .sort(),
    ).toEqual(["AUTH_SECRET", "SMS_PROVIDER", "TURNSTILE_SECRET_KEY"]);
  });

  it("has working defaults for development", () => {
    const config = parseConfig({ ENVIRONMENT: "development" });
    expect(config).toMatchObject({
      ENVIRONMENT: "development",
      SMS_PROVIDER: ["console"],
      CODE_LENGTH: 6,
      CODE_TTL_SECONDS: 300,
      MAX_VERIFY_ATTEMPTS: 5,
      ALLOWED_COUNTRIES: ["CN"],
    });
    expect(config.AUTH_SECRET.startsWith("dev-only-")).toBe(true);
  });

  it("names each bad setting, never its value", () => {
    const found = problems({
      ENVIRONMENT: "development",
      CODE_LENGTH: "9",
      CODE_TTL_SECONDS: "30",
      SMS_PROVIDER: "console,twilio",
      TEST_PHONE_NUMBERS: "{oops",
    });
    expect(found.map((p) => p.setting).sort()).toEqual(["CODE_LENGTH", "CODE_TTL_SECONDS", "SMS_PROVIDER", "TEST_PHONE_NUMBERS"]);
    expect(JSON.stringify(found)).not.toContain("twilio");
  });

  it("refuses the development signing key and anything but private Ed25519 JWKs in production", () => {
    const base = { ENVIRONMENT: "production", SMS_PROVIDER: "aliyun", AUTH_SECRET: "x".repeat(40), TURNSTILE_REQUIRED: "false" };
    expect(problems({ ...base, JWT_PRIVATE_KEYS: JSON.stringify([DEV_JWT_KEY]) }).map((p) => p.setting)).toEqual(["JWT_PRIVATE_KEYS"]);
    const secret = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const bad = problems({ ...base, JWT_PRIVATE_KEYS: `[{"kty":"RSA","d":"${secret}"}]` });
    expect([...new Set(bad.map((p) => p.setting))]).toEqual(["JWT_PRIVATE_KEYS"]);
    expect(JSON.stringify(bad)).not.toContain(secret);
    expect(problems({ ...base, JWT_PRIVATE_KEYS: "not json" }).map((p) => p.setting)).toEqual(["JWT_PRIVATE_KEYS"]);
    expect(parseConfig({ ENVIRONMENT: "test" }).JWT_PRIVATE_KEYS).toEqual([DEV_JWT_KEY]);
  });

  it("refuses a code life under KV's 60-second minimum expirationTtl", () => {
    expect(problems({ ENVIRONMENT: "test", CODE_TTL_SECONDS: "59" }).map((p) => p.setting)).toEqual(["CODE_TTL_SECONDS"]);
    expect(parseConfig({ ENVIRONMENT: "test", CODE_TTL_SECONDS: "60" }).CODE_TTL_SECONDS).toBe(60);
  });

  it("is stricter in production: no console provider, a real secret required", () => {
    expect(problems({ ENVIRONMENT: "production", SMS_PROVIDER: "aliyun", JWT_PRIVATE_KEYS: KEYS }).map((p) => p.setting)).toEqual(["AUTH_SECRET"]);
    const found = problems({
      ENVIRONMENT: "production",
      SMS_PROVIDER: "console",
      AUTH_SECRET: "dev-only-secret-copied-from-development-000",
      JWT_PRIVATE_KEYS: KEYS,
    });
    expect(found.map((p) => p.setting).sort()).toEqual(["AUTH_SECRET", "SMS_PROVIDER", "TURNSTILE_SECRET_KEY"]);
    const production = {
      ENVIRONMENT: "production",
      SMS_PROVIDER: "aliyun,ronglian",
      AUTH_SECRET: "x".repeat(40),
      TURNSTILE_REQUIRED: "false",
      JWT_PRIVATE_KEYS: KEYS,
    };
    expect(parseConfig(production).SMS_PROVIDER).toEqual(["aliyun", "ronglian"]);
  });
});
