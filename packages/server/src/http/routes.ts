import type { AppDependencies, KeywardApp } from "./app.js";
import { registerHealth } from "./routes/health.js";
import { registerOpenApi } from "./routes/openapi.js";
import { registerCreateKey } from "./routes/v1/keys/create.js";
import { registerGetKey } from "./routes/v1/keys/get.js";
import { registerListKeys } from "./routes/v1/keys/list.js";
import { registerRevokeKey } from "./routes/v1/keys/revoke.js";
import { registerUpdateKey } from "./routes/v1/keys/update.js";
import { registerVerifyKey } from "./routes/v1/keys/verify.js";
import { registerCreateProject } from "./routes/v1/projects/create.js";
import { registerGetProject } from "./routes/v1/projects/get.js";
import { registerListProjects } from "./routes/v1/projects/list.js";
import { registerCreateToken } from "./routes/v1/tokens/create.js";
import { registerListTokens } from "./routes/v1/tokens/list.js";
import { registerRevokeToken } from "./routes/v1/tokens/revoke.js";

/** Every route of the API, registered in this order. */
export const ROUTES: ReadonlyArray<(app: KeywardApp, deps: AppDependencies) => void> = [
  registerHealth,
  registerOpenApi,
  registerCreateProject,
  registerListProjects,
  registerGetProject,
  registerCreateKey,
  registerListKeys,
  registerVerifyKey,
  registerGetKey,
  registerUpdateKey,
  registerRevokeKey,
  registerCreateToken,
  registerListTokens,
  registerRevokeToken,
];
