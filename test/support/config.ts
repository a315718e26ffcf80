import { ConfigError, parseConfig } from "../../src/platform/config";

/** The settings parseConfig refuses, by name and message ([] when it accepts them). */
export function configProblems(env: Record<string, unknown>): { setting: string; message: string }[] {
  try {
    parseConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** A production-shaped signing key set (not the built-in development key, which production refuses). */
export const PRODUCTION_JWT_KEYS = JSON.stringify([
  { kty: "OKP", crv: "Ed25519", kid: "k1", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A" },
]);
