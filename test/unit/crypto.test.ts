import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url, toHex } from "../../src/platform/crypto";

describe("encodings", () => {
  it("toHex is lower-case, two digits a byte, for any bytes (checked against Buffer)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(toHex(bytes)).toBe(Buffer.from(bytes).toString("hex"));
        expect(toHex(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))).toBe(Buffer.from(bytes).toString("hex"));
      }),
    );
  });

  it("base64url round-trips any bytes and matches Buffer's", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(toBase64Url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
      }),
    );
  });
});
