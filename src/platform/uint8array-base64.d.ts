/**
 * Uint8Array's base64 and hex methods (TC39 "Uint8Array to/from base64", shipped in V8 and so in
 * workerd). TypeScript 5.9's libs and @cloudflare/workers-types do not declare them yet; these are
 * the signatures of the proposal, for the options src/platform/crypto.ts uses.
 */
interface Uint8ArrayToBase64Options {
  alphabet?: "base64" | "base64url";
  omitPadding?: boolean;
}

interface Uint8ArrayFromBase64Options {
  alphabet?: "base64" | "base64url";
  lastChunkHandling?: "loose" | "strict" | "stop-before-partial";
}

interface Uint8Array<TArrayBuffer extends ArrayBufferLike = ArrayBufferLike> {
  toBase64(options?: Uint8ArrayToBase64Options): string;
  toHex(): string;
}

interface Uint8ArrayConstructor {
  fromBase64(text: string, options?: Uint8ArrayFromBase64Options): Uint8Array<ArrayBuffer>;
}
