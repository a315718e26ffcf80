/** Codes as the console SMS provider prints them on the server's stdout, by phone. */

type CodeListener = (code: string, at: number) => void;

export class CodeLog {
  listeners = new Map<string, CodeListener>();
  early = new Map<string, { code: string; at: number }>();
  lines = 0;

  /** Takes one server output line; true if it was an `sms.console` event (then it is consumed). */
  line(line: string): boolean {
    let event: { event?: unknown; to?: unknown; code?: unknown };
    try {
      event = JSON.parse(line.slice(line.indexOf("{"))) as typeof event;
    } catch {
      return false;
    }
    if (event?.event !== "sms.console" || typeof event.to !== "string" || typeof event.code !== "string") return false;
    this.lines++;
    const at = performance.now();
    const listener = this.listeners.get(event.to);
    if (listener) {
      this.listeners.delete(event.to);
      listener(event.code, at);
    } else {
      this.early.set(event.to, { code: event.code, at });
    }
    return true;
  }

  /** Calls `fn(code, at)` once the code for `phone` is seen (at once if it already was). */
  on(phone: string, fn: CodeListener): void {
    const seen = this.early.get(phone);
    if (seen) {
      this.early.delete(phone);
      fn(seen.code, seen.at);
    } else {
      this.listeners.set(phone, fn);
    }
  }

  forget(phone: string): void {
    this.listeners.delete(phone);
    this.early.delete(phone);
  }
}
