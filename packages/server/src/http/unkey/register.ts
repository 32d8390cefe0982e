import type { AppDependencies, KeywardApp } from "../app.js";
import { prepareErrorReply } from "../app.js";
import { unkeyError, unkeyErrorContentType } from "./envelope.js";
import { UNKEY_APIS_ROUTES } from "./routes/apis.js";
import { UNKEY_IDENTITY_ROUTES } from "./routes/identities.js";
import { UNKEY_KEY_MIGRATE_ROUTES } from "./routes/keys-migrate.js";
import { UNKEY_KEY_READ_ROUTES } from "./routes/keys-read.js";
import { UNKEY_KEY_ROLE_ROUTES } from "./routes/keys-roles.js";
import { UNKEY_KEY_WRITE_ROUTES } from "./routes/keys-write.js";
import { UNKEY_LIVENESS_ROUTES } from "./routes/liveness.js";
import { UNKEY_PERMISSIONS_ROUTES } from "./routes/permissions.js";
import { UNKEY_RATELIMIT_ROUTES } from "./routes/ratelimit.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The content type of this route's errors, when its Unkey client expects another than the usual. */
    unkeyErrorContentType?: string;
  }
}

/** One route of the Unkey-compatible surface, registered in its scope. */
export type UnkeyRoute = (scope: KeywardApp, deps: AppDependencies) => void;

/**
 * The Unkey v2-compatible surface (`/v2/<service>.<method>`): an adapter over the same services as `/v1`, in a
 * scope of its own whose errors take Unkey's envelope. Authentication, permissions and audit are the app's.
 */
export async function registerUnkeyApi(app: KeywardApp, deps: AppDependencies): Promise<void> {
  await app.register(async (scope) => {
    const unkey = scope as unknown as KeywardApp;
    unkey.setErrorHandler(async (error, request, reply) => {
      const problem = await prepareErrorReply(deps, error, request, reply);
      return reply
        .status(problem.status)
        .type(request.routeOptions.config.unkeyErrorContentType ?? unkeyErrorContentType(problem.status))
        .send(unkeyError(problem));
    });
    for (const register of [
      ...UNKEY_LIVENESS_ROUTES,
      ...UNKEY_APIS_ROUTES,
      ...UNKEY_KEY_READ_ROUTES,
      ...UNKEY_KEY_WRITE_ROUTES,
      ...UNKEY_KEY_MIGRATE_ROUTES,
      ...UNKEY_RATELIMIT_ROUTES,
      ...UNKEY_KEY_ROLE_ROUTES,
      ...UNKEY_PERMISSIONS_ROUTES,
      ...UNKEY_IDENTITY_ROUTES,
    ]) {
      register(unkey, deps);
    }
  });
}
