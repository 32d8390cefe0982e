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

/** POST /v2/apis.deleteApi: deletes the project and revokes its keys (DELETE /v1/projects/{id}). */
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
          "Unkey-compatible: deletes the project `apiId` (DELETE /v1/projects/{id}): `apis.getApi`, " +
          "`apis.listKeys` and `keys.createKey` answer 404 for it from now on, and its keys verify as NOT_FOUND " +
          "on every node within a second, then are each revoked (key.revoked). Keyward keeps the record for " +
          "the audit trail. Needs `projects:write` and `keys:revoke`; from a session also a second factor " +
          "within the last 5 minutes. 404 when the project does not exist (or is deleted already) or the " +
          "token cannot see it; 409 for the default project. Irreversible.",
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
      await deps.keys.deleteProject(principalOf(request), request.body.apiId);
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
