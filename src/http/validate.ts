import { zValidator } from "@hono/zod-validator";
import type { z } from "zod";
import { ApiError } from "./errors/api-error";

/**
 * JSON body validation that answers 400 invalid_request with `details: [{field, message}]`.
 * A body that is not JSON at all is caught by Hono's validator (HTTPException 400) and shaped the
 * same way in src/http/errors.ts.
 */
export const jsonBody = <T extends z.ZodType>(schema: T) =>
  zValidator("json", schema, (result) => {
    if (!result.success) {
      throw new ApiError("invalid_request", {
        details: result.error.issues.map((issue) => ({
          field: issue.path.length ? issue.path.join(".") : "(body)",
          message: issue.message,
        })),
      });
    }
  });
