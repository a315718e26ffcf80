/**
 * src/phone/metadata.json is libphonenumber-js's mobile metadata less the display formats
 * (scripts/phone-metadata.mjs). It must be current with the installed package, and every parse
 * this Worker does must come out the same as with the package's own metadata.
 */

import examples from "libphonenumber-js/examples.mobile.json";
import packageMetadata from "libphonenumber-js/metadata.mobile.json";
import { parsePhoneNumberFromString as withPackageMetadata } from "libphonenumber-js/mobile";
import { describe, expect, it } from "vitest";
import trimmed from "../../src/phone/metadata.json";
import { parsePhone } from "../../src/phone/phone";

describe("the trimmed phone metadata", () => {
  it("is the installed mobile metadata with only the formats removed (re-run scripts/phone-metadata.mjs if not)", () => {
    const expected = structuredClone(packageMetadata) as unknown as { countries: Record<string, unknown[]>; nonGeographic?: Record<string, unknown[]> };
    for (const group of [expected.countries, expected.nonGeographic ?? {}]) {
      for (const country of Object.values(group)) if (Array.isArray(country[4])) country[4] = null;
    }
    expect(trimmed).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it("parses every example mobile number, and its near misses, exactly as the full metadata does", () => {
    const inputs: string[] = [];
    for (const [country, national] of Object.entries(examples as Record<string, string>)) {
      const parsed = withPackageMetadata(national, country as never);
      if (!parsed) continue;
      const e164 = parsed.number;
      inputs.push(e164, `00${e164.slice(1)}`, e164.slice(0, -1), `${e164}1`);
    }
    for (let i = 0; i < 2000; i += 1) inputs.push(String(13000000000 + i * 3333331), `+852${51000000 + i * 13331}`, `+1${2015550000 + i * 7771}`);
    expect(inputs.length).toBeGreaterThan(6000);
    const viaPackage = (input: string) => {
      const parsed = withPackageMetadata(input.replace(/[\s\-.()]/g, ""), "CN");
      if (!parsed?.isValid() || !parsed.country) return "invalid";
      const type = parsed.getType();
      if (type !== "MOBILE" && type !== "FIXED_LINE_OR_MOBILE") return "invalid";
      return `${parsed.number} ${parsed.country} ${parsed.countryCallingCode} ${parsed.nationalNumber}`;
    };
    const viaWorker = (input: string) => {
      try {
        const phone = parsePhone(input);
        return `${phone.e164} ${phone.country} ${phone.countryCallingCode} ${phone.nationalNumber}`;
      } catch {
        return "invalid";
      }
    };
    const differing = inputs.filter((input) => /^\+?\d{4,20}$/.test(input) && viaPackage(input) !== viaWorker(input));
    expect(differing).toEqual([]);
  });
});
