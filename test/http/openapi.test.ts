import { type Output, registerSchema, validate } from "@hyperjump/json-schema/openapi-3-1";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { WEBHOOK_CONTRACTS } from "../../src/events/webhooks/contracts";
import { ERROR_CODES, type ErrorCode, statusOf } from "../../src/http/errors/catalog";
import { buildOpenApiDocument, documentedRoutes, errorCodesOf, type OpenApiDocument, openApiPath } from "../../src/http/openapi/generator";

const ROUTES = documentedRoutes(app.routes);

import { captureSms, get, json, post, requestCode, uniquePhone } from "../support/helpers";

const sms = captureSms();

const OAS_31 = "https://spec.openapis.org/oas/3.1/schema-base";
const DIALECT = "https://spec.openapis.org/oas/3.1/dialect/base";

async function fetchDocument(): Promise<OpenApiDocument> {
  const response = await get("/openapi.json");
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  return json<OpenApiDocument>(response);
}

function explain(output: Output): string {
  if (output.valid) return "";
  return (output.errors ?? []).map((unit) => `${unit.instanceLocation} ${unit.keyword} (${unit.absoluteKeywordLocation})`).join("\n");
}

/** "METHOD /path" for every route Hono serves, middleware (method ALL) left out. */
function servedRoutes(): string[] {
  return [...new Set(app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${route.path}`))].sort();
}

/** "METHOD /path" for every operation in the document, paths back in Hono's `:name` form. */
function operationsOf(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`))
    .sort();
}

let schemaCount = 0;
/**
 * Checks a real answer against the schema the document gives for it, as a client's validator
 * would: the document's own JSON Schema (not the zod schema it came from), components included.
 */
async function expectConforms(doc: OpenApiDocument, method: string, path: string, response: Response): Promise<void> {
  const answer = (doc.paths[path]?.[method]?.responses as Record<string, { content?: Record<string, { schema: unknown }> }> | undefined)?.[
    String(response.status)
  ];
  expect(answer, `${method.toUpperCase()} ${path} ${response.status} is not in the document`).toBeDefined();
  const schema = answer!.content?.["application/json"]?.schema;
  if (!schema) {
    expect(await response.text()).toBe("");
    return;
  }
  // components.schemas as $defs of a standalone schema, references rewritten to match.
  const retarget = (value: unknown): unknown => JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"#/$defs/'));
  schemaCount += 1;
  const id = `https://edge-phone-auth.test/answer/${schemaCount}`;
  registerSchema(
    { $schema: DIALECT, ...(retarget(schema) as object), $defs: retarget((doc.components as { schemas: object }).schemas) as Record<string, never> },
    id,
  );
  const body: unknown = await response.json();
  const output = await validate(id, body as never, "BASIC");
  expect(output.valid, `${method.toUpperCase()} ${path} ${response.status} ${JSON.stringify(body)}\n${explain(output)}`).toBe(true);
}

describe("GET /openapi.json", () => {
  // The Worker serves public/openapi.json as it is (src/routes/docs.ts): this is where it is made.
  // Locally a missing file is written; a changed route makes this fail until `npm run openapi`
  // rewrites it, and CI (CI=true) never writes it, so the committed document always matches the routes.
  it("is public/openapi.json, generated from the routes' contracts", async () => {
    const generated = `${JSON.stringify(buildOpenApiDocument(app.routes, WEBHOOK_CONTRACTS), null, 2)}\n`;
    await expect(generated).toMatchFileSnapshot("../../public/openapi.json", "run `npm run openapi` to rewrite public/openapi.json from the routes");
    expect(await fetchDocument()).toEqual(JSON.parse(generated));
  });

  it("is a valid OpenAPI 3.1 document (checked against the official schema, Schema Objects included)", async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toMatch(/^3\.1\./);
    const output = await validate(OAS_31, doc as never, "BASIC");
    expect(output.valid, explain(output)).toBe(true);
  });

  it("and the validator does catch a broken document", async () => {
    const broken = structuredClone(buildOpenApiDocument(app.routes)) as Record<string, unknown> & OpenApiDocument;
    delete broken.info;
    expect((await validate(OAS_31, broken as never)).valid).toBe(false);
    const badSchema = structuredClone(buildOpenApiDocument(app.routes));
    const schema = (badSchema.paths["/v1/codes"]!.post!.requestBody as { content: Record<string, { schema: Record<string, unknown> }> }).content[
      "application/json"
    ]!.schema;
    schema.required = "phone"; // must be an array of strings
    expect((await validate(OAS_31, badSchema as never)).valid).toBe(false);
  });

  it("documents every route the app serves: a route without a contract (src/http/contract.ts) fails here", async () => {
    const doc = await fetchDocument();
    const served = servedRoutes();
    const documented = operationsOf(doc);
    expect({ servedWithoutContract: served.filter((route) => !documented.includes(route)) }).toEqual({ servedWithoutContract: [] });
    expect(documented).toEqual(served);
    expect(served.length).toBeGreaterThanOrEqual(14);
  });

  it("gives every error code under the status it is always sent with, in the Error envelope", async () => {
    const doc = await fetchDocument();
    type Answer = { content?: Record<string, { schema?: { $ref?: string }; examples?: Record<string, unknown> }> };
    for (const route of ROUTES) {
      const label = `${route.method.toUpperCase()} ${route.path}`;
      const responses = doc.paths[openApiPath(route.path).path]![route.method]!.responses as Record<string, Answer>;
      const codes = errorCodesOf(route.contract);
      expect(codes, label).toContain("internal_error");
      for (const code of codes) {
        const content = responses[String(statusOf(code))]?.content?.["application/json"];
        expect(content?.schema?.$ref, `${label} ${code}`).toBe("#/components/schemas/Error");
        expect(content?.examples?.[code], `${label} ${code}`).toBeDefined();
      }
      // …and no code under another status.
      for (const [status, answer] of Object.entries(responses)) {
        for (const code of Object.keys(answer.content?.["application/json"]?.examples ?? {}))
          expect(statusOf(code as ErrorCode), `${label} ${code}`).toBe(Number(status));
      }
    }
    const errorSchema = (doc.components as { schemas: Record<string, { properties: { error: { properties: { code: { enum: string[] } } } } }> }).schemas.Error!;
    expect(errorSchema.properties.error.properties.code.enum.sort()).toEqual([...ERROR_CODES].sort());
  });

  it("describes each JSON body with the schema the route validates with, and the bearer scheme", async () => {
    const doc = await fetchDocument();
    const op = (path: string, method: string) =>
      doc.paths[path]![method]! as Record<string, unknown> & { requestBody?: { content: { "application/json": { schema: Record<string, unknown> } } } };
    const sendCode = op("/v1/codes", "post").requestBody!.content["application/json"].schema;
    expect(sendCode).toMatchObject({ type: "object", required: ["phone", "purpose"], additionalProperties: false });
    expect((sendCode.properties as Record<string, { enum?: string[] }>).purpose!.enum).toEqual([
      "login",
      "register",
      "reset_password",
      "change_phone",
      "reauthenticate",
    ]);
    expect(op("/v1/me", "get").security).toEqual([{ bearer: [] }]);
    expect(op("/v1/auth/sms-login", "post").security).toEqual([]);
    expect(op("/v1/me/phone", "post").responses).toHaveProperty("403");
    expect(op("/v1/me/password", "post").responses).toHaveProperty("403");
    expect((doc.components as { securitySchemes: unknown }).securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: "http", scheme: "bearer" }),
      adminKey: expect.objectContaining({ type: "http", scheme: "bearer" }),
      cloudflareAccess: expect.objectContaining({ type: "apiKey", in: "header", name: "Cf-Access-Jwt-Assertion" }),
    });
    expect(op("/v1/admin/users", "get").security).toEqual([{ adminKey: [] }, { cloudflareAccess: [] }]);
    expect(op("/v1/admin/users", "get").parameters).toContainEqual(expect.objectContaining({ name: "phone", in: "query", required: true }));
    for (const route of ROUTES) {
      const requestBody = op(openApiPath(route.path).path, route.method).requestBody;
      expect(requestBody !== undefined, `${route.method} ${route.path}`).toBe(route.contract.body !== undefined);
    }
  });

  it("matches what the routes really answer", async () => {
    const doc = await fetchDocument();
    const phone = uniquePhone();
    const sent = await post("/v1/codes", { phone, purpose: "login" });
    await expectConforms(doc, "post", "/v1/codes", sent);
    const login = await post("/v1/auth/sms-login", { phone, code: sms.lastCode(phone) });
    const { accessToken: token, refreshToken } = await json<{ accessToken: string; refreshToken: string }>(login.clone());
    await expectConforms(doc, "post", "/v1/auth/sms-login", login);
    await expectConforms(doc, "get", "/v1/sessions", await get("/v1/sessions", { token }));
    await expectConforms(doc, "get", "/.well-known/jwks.json", await get("/.well-known/jwks.json"));
    await expectConforms(doc, "post", "/v1/auth/refresh", await post("/v1/auth/refresh", { refreshToken }));
    await expectConforms(doc, "post", "/v1/auth/refresh", await post("/v1/auth/refresh", { refreshToken: "spent-or-unknown" }));
    await expectConforms(doc, "get", "/v1/me", await get("/v1/me", { token }));
    await expectConforms(doc, "post", "/v1/auth/logout", await post("/v1/auth/logout", undefined, { token }));
    await expectConforms(doc, "get", "/v1/me", await get("/v1/me", { token }));
    await expectConforms(doc, "get", "/healthz", await get("/healthz"));

    const other = uniquePhone();
    await requestCode(sms, other, "register");
    await expectConforms(
      doc,
      "post",
      "/v1/codes/verify",
      await post("/v1/codes/verify", { phone: other, purpose: "register", code: sms.lastCode(other, "register") }),
    );
    await expectConforms(doc, "post", "/v1/codes/verify", await post("/v1/codes/verify", { phone: other, purpose: "register", code: "12" }));
    await expectConforms(doc, "post", "/v1/codes", await post("/v1/codes", { phone: other, purpose: "register" }));
  });
});

describe("DOCS_ENABLED=false", () => {
  it("answers 404 not_found for /openapi.json and /docs", async () => {
    for (const path of ["/openapi.json", "/docs"]) {
      const response = await get(path, { env: { DOCS_ENABLED: "false" } });
      expect(response.status, path).toBe(404);
      expect((await json<{ error: { code: string } }>(response)).error.code).toBe("not_found");
    }
  });

  it("leaves the API itself alone", async () => {
    expect((await get("/healthz", { env: { DOCS_ENABLED: "false" } })).status).toBe(200);
  });
});

describe("GET /docs", () => {
  it("serves the reference page, loading the document and the Worker's own copy of the script", async () => {
    const response = await get("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('"url": "/openapi.json"');
    expect(html).toContain('<script src="/docs/assets/scalar-api-reference.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
  });
});
