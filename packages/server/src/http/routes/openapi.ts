import type { KeywardApp } from "../app.js";

/** GET /openapi.json: the OpenAPI 3.1 document of every route. Public. */
export function registerOpenApi(app: KeywardApp): void {
  app.get("/openapi.json", { config: { permission: null }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
