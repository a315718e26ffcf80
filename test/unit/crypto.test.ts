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

  it("fromBase64Url refuses what is not unpadded base64url, never throwing", () => {
    for (const text of ["A", "ab=", "ab==", "a b", "a\nb", "ab+/", "ÿÿ"]) expect(fromBase64Url(text), text).toBeUndefined();
    expect(fromBase64Url("")).toEqual(new Uint8Array());
    expect(fromBase64Url("_-8")).toEqual(new Uint8Array([0xff, 0xef]));
  });
});
