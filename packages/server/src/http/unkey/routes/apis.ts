import { Type } from "typebox";
import { principalOf } from "../../auth.js";
import { LIMITS } from "../../schemas.js";
import { unkeyOk } from "../envelope.js";
import type { UnkeyRoute } from "../register.js";

const Meta = Type.Object({ requestId: Type.String() });
const REQUEST_ID = "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const API_ID = "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4";
const ApiId = Type.String({
  minLength: 1,
  maxLength: LIMITS.idLength,
  description: "The id of the Keyward project that plays the Unkey API (`proj_…`).",
});

/** POST /v2/apis.createApi: an Unkey API is a Keyward project (default key prefix). */
const registerCreateApi: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/apis.createApi",
    {
      config: { permission: "projects:write" },
      schema: {
        tags: ["unkey"],
        summary: "Create an API (Unkey v2)",
        description:
          "Unkey-compatible: creates a Keyward project named `name` with the default key prefix and answers its " +
          "id as `apiId`. Needs `projects:write`; a token limited to projects cannot create one.",
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: LIMITS.nameLength }) },
          { additionalProperties: false, examples: [{ name: "billing-api" }] },
        ),
        response: {
          200: Type.Object(
            { meta: Meta, data: Type.Object({ apiId: Type.String() }) },
            { examples: [{ meta: { requestId: REQUEST_ID }, data: { apiId: API_ID } }] },
          ),
        },
      },
    },
    async (request) => {
      const project = await deps.projects.createProject(principalOf(request), { name: request.body.name });
      return unkeyOk(request, { apiId: project.id });
    },
  );
};

/** POST /v2/apis.getApi: the project's id and name. */
const registerGetApi: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/apis.getApi",
    {
      config: { permission: "projects:read" },
      schema: {
        tags: ["unkey"],
        summary: "Get an API (Unkey v2)",
        description:
          "Unkey-compatible: the project `apiId` as `{id, name}`. Needs `projects:read`; 404 when the project " +
          "does not exist or the token cannot see it.",
        body: Type.Object({ apiId: ApiId }, { additionalProperties: false, examples: [{ apiId: API_ID }] }),
        response: {
          200: Type.Object(
            { meta: Meta, data: Type.Object({ id: Type.String(), name: Type.String() }) },
            { examples: [{ meta: { requestId: REQUEST_ID }, data: { id: API_ID, name: "billing-api" } }] },
          ),
        },
      },
    },
    async (request) => {
      const project = await deps.projects.getProject(principalOf(request), request.body.apiId);
      return unkeyOk(request, { id: project.id, name: project.name });
    },
  );
};

/**
 * POST /v2/apis.deleteApi: Keyward keeps projects for their audit history and has no project deletion, so this
 * revokes every key of the project (Unkey's observable effect: the API's keys verify NOT_FOUND) and keeps the
 * project itself. docs/migrate-from-unkey.md says what differs.
 */
const registerDeleteApi: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/apis.deleteApi",
    {
      // Bulk revocation, as POST /v1/keys/revoke: a session needs a recent second factor.
      config: { permission: "projects:write", stepUp: true },
      schema: {
        tags: ["unkey"],
        summary: "Delete an API (Unkey v2)",
        description:
          "Unkey-compatible, with a difference: revokes every key of the project `apiId` at once (each emits " +
          "key.revoked; afterwards they verify as Unkey's NOT_FOUND), but the project stays, since Keyward keeps " +
          "projects for their audit history: `apis.getApi` still finds it and new keys can still be created in " +
          "it. Needs `projects:write` and `keys:revoke`; from a session also a second factor within the last 5 " +
          "minutes. 404 when the token cannot see the project. Irreversible.",
        body: Type.Object({ apiId: ApiId }, { additionalProperties: false, examples: [{ apiId: API_ID }] }),
        response: {
          200: Type.Object(
            { meta: Meta, data: Type.Object({}) },
            { examples: [{ meta: { requestId: REQUEST_ID }, data: {} }] },
          ),
        },
      },
    },
    async (request) => {
      await deps.keys.revokeKeys(principalOf(request), {
        projectId: request.body.apiId,
        reason: "API deleted (Unkey apis.deleteApi)",
      });
      return unkeyOk(request, {});
    },
  );
};

/** Filled by the routes of this group. */
export const UNKEY_APIS_ROUTES: readonly UnkeyRoute[] = [
  registerCreateApi,
  registerGetApi,
  registerDeleteApi,
];
