import { zValidator } from "@hono/zod-validator";
import type * as z from "zod/mini";
import "../platform/zod-messages";
import { ApiError } from "./errors/api-error";

/**
 * JSON body validation that answers 400 invalid_request with `details: [{field, message}]`.
 * A body that is not JSON at all is caught by Hono's validator (HTTPException 400) and shaped the
 * same way in src/http/errors.ts.
 */
export const jsonBody = <T extends z.core.$ZodType>(schema: T) => validator("json", schema);

/** The query string, validated the same way (each parameter a string, or absent). */
export const queryParams = <T extends z.core.$ZodType>(schema: T) => validator("query", schema);

const validator = <T extends z.core.$ZodType>(target: "json" | "query", schema: T) =>
  zValidator(target, schema, (result) => {
    if (!result.success) {
      throw new ApiError("invalid_request", {
        details: result.error.issues.map((issue) => ({
          field: issue.path.length ? issue.path.join(".") : target === "json" ? "(body)" : "(query)",
          message: issue.message,
        })),
      });
    }
  });
