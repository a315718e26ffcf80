import { en } from "zod/locales";
import { config } from "zod/mini";

/**
 * English messages for zod's own issues ("Invalid input: expected string, received number", "Too
 * big: expected string to have <=32 characters"). Classic zod set them on its first schema;
 * zod/mini sets no locale, and every message it makes would read just "Invalid input". They reach
 * clients (the 400 invalid_request `details`) and operators (the refused settings), so every
 * module that turns issues into messages imports this one for its effect: src/http/validate.ts,
 * src/platform/config.ts and src/sms/settings.ts.
 *
 * `en` is imported by name: `z.locales.en` through the namespace would bundle every locale.
 */
config(en());
