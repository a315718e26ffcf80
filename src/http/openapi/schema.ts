import * as z from "zod/mini";

/** zod schemas as OpenAPI 3.1 Schema Objects, shared by the routes' and the webhooks' parts of the document. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type OpenApiDocument = JsonObject & { openapi: string; paths: Record<string, Record<string, JsonObject>> };

export const COMPONENT_REF = "#/components/schemas/";

/**
 * A zod schema as an OpenAPI 3.1 Schema Object (JSON Schema 2020-12). Schemas registered with an
 * id (`.register(z.globalRegistry, { id })`: User, Error) go to components.schemas once and are
 * referenced from everywhere.
 *
 * io "input" for bodies and answers alike: request objects are strictObject, so unknown fields are
 * refused (additionalProperties: false); answer objects stay open, so a client must ignore a field
 * it does not know yet, which lets the API add fields without breaking anyone.
 */
export function toSchema(schema: z.core.$ZodType, components: Record<string, Json>): Json {
  const generated = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" }) as JsonObject;
  // $schema would name plain 2020-12; an OpenAPI 3.1 Schema Object uses the document's dialect.
  const { $schema: _dialect, $defs, ...root } = generated;
  for (const [name, def] of Object.entries(($defs ?? {}) as JsonObject)) {
    const moved = moveRefs(def);
    const existing = components[name];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(moved)) {
      throw new Error(`openapi: two different schemas carry the id "${name}"`);
    }
    components[name] = moved;
  }
  return moveRefs(root);
}

/** zod writes references as #/$defs/Name; in the document they live in #/components/schemas/Name. */
function moveRefs(value: Json): Json {
  if (Array.isArray(value)) return value.map(moveRefs);
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === "$ref" && typeof inner === "string") {
      if (!inner.startsWith("#/$defs/")) throw new Error(`openapi: unexpected reference ${inner}`);
      out[key] = COMPONENT_REF + inner.slice("#/$defs/".length);
    } else {
      out[key] = moveRefs(inner);
    }
  }
  return out;
}
