import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/platform/config";

const problems = (env: Record<string, unknown>) => {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("configuration", () => {
  it("is production unless told otherwise, so a bare deploy fails closed", () => {
    expect(
      problems({})
        .map((p) => p.setting)
        .sort(),
    ).toEqual(["AUTH_SECRET"]);
    // Turnstile is required in production too (issue 10), unless TURNSTILE_REQUIRED=false.
    expect(
      problems({ SMS_PROVIDER: "console", AUTH_SECRET: "dev-only-secret-copied-from-development-000" })
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

  it("refuses a code life under KV's 60-second minimum expirationTtl", () => {
    expect(problems({ ENVIRONMENT: "test", CODE_TTL_SECONDS: "59" }).map((p) => p.setting)).toEqual(["CODE_TTL_SECONDS"]);
    expect(parseConfig({ ENVIRONMENT: "test", CODE_TTL_SECONDS: "60" }).CODE_TTL_SECONDS).toBe(60);
  });

  it("is stricter in production: no console provider, a real secret required", () => {
    expect(problems({ ENVIRONMENT: "production", SMS_PROVIDER: "aliyun" }).map((p) => p.setting)).toEqual(["AUTH_SECRET"]);
    const found = problems({ ENVIRONMENT: "production", SMS_PROVIDER: "console", AUTH_SECRET: "dev-only-secret-copied-from-development-000" });
    expect(found.map((p) => p.setting).sort()).toEqual(["AUTH_SECRET", "SMS_PROVIDER", "TURNSTILE_SECRET_KEY"]);
    const production = { ENVIRONMENT: "production", SMS_PROVIDER: "aliyun,ronglian", AUTH_SECRET: "x".repeat(40), TURNSTILE_REQUIRED: "false" };
    expect(parseConfig(production).SMS_PROVIDER).toEqual(["aliyun", "ronglian"]);
  });
});
