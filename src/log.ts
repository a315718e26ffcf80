/**
 * Structured log lines: one JSON object per line, the shape Workers Logs and Logpush filter on.
 * Callers pass masked or hashed phones only; nothing here may carry a code, password or token.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  event(event: string, fields?: LogFields): void;
  error(event: string, error: unknown, fields?: LogFields): void;
}

export function createLogger(requestId?: string): Logger {
  return {
    event(event, fields = {}) {
      console.log(JSON.stringify({ event, requestId, ...fields }));
    },
    error(event, error, fields = {}) {
      const name = error instanceof Error ? error.name : typeof error;
      const message = error instanceof Error ? error.message : String(error);
      console.error(JSON.stringify({ event, requestId, error: name, message, ...fields }));
    },
  };
}
