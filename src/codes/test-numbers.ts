import { type Phone, parsePhone } from "../phone/phone";
import type { Config } from "../platform/config";
import type { Logger } from "../platform/log";
import type { RequestScope } from "../platform/scope";

type TestNumberTable = Map<string, { code: string; expiresAt: number }>;
const tables = new WeakMap<Config, TestNumberTable>();

/** TEST_PHONE_NUMBERS by E.164; entries whose numbers do not parse are dropped (and named in the log once). */
function testNumberTable(config: Config, log: Logger): TestNumberTable {
  let table = tables.get(config);
  if (!table) {
    table = new Map();
    for (const entry of config.TEST_PHONE_NUMBERS) {
      try {
        // The entry is valid through the whole day of `expires` (UTC).
        table.set(parsePhone(entry.phone).e164, { code: entry.code, expiresAt: Date.parse(`${entry.expires}T00:00:00Z`) + 86_400_000 });
      } catch {
        log.event("config.test_number_ignored", { reason: "not a valid mobile number" });
      }
    }
    tables.set(config, table);
  }
  return table;
}

/** The fixed code of an unexpired test number, or undefined for a real number. */
export function testNumberCode(scope: RequestScope, phone: Phone): string | undefined {
  const entry = testNumberTable(scope.config, scope.log).get(phone.e164);
  if (!entry || entry.expiresAt <= Date.now()) return undefined;
  return entry.code;
}
