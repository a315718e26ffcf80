// Writes src/phone/metadata.json: libphonenumber-js's "mobile" metadata without the number
// formats (the patterns that lay a number out for display). This Worker parses, validates and
// types numbers and answers them in E.164 only, and none of that reads the formats; they are
// 9 KiB of the bundle's gzip. Run again after upgrading libphonenumber-js:
//   node scripts/phone-metadata.mjs
// test/unit/phone-metadata.test.ts fails when the file is stale or when parsing with it differs.
import { readFileSync, writeFileSync } from "node:fs";

export function trimMetadata(metadata) {
  const trimmed = structuredClone(metadata);
  for (const group of [trimmed.countries, trimmed.nonGeographic ?? {}]) {
    // Index 4 of a country's array is its list of formats (libphonenumber-js metadata version 4).
    for (const country of Object.values(group)) if (Array.isArray(country[4])) country[4] = null;
  }
  return trimmed;
}

const source = new URL("../node_modules/libphonenumber-js/metadata.mobile.json", import.meta.url);
const target = new URL("../src/phone/metadata.json", import.meta.url);
writeFileSync(target, `${JSON.stringify(trimMetadata(JSON.parse(readFileSync(source, "utf8"))))}\n`);
console.log(`wrote ${target.pathname}`);
