import { MAX_ROLES_PER_KEY } from "@keyward/core/key-roles.js";
import { type Static, Type } from "typebox";
import type { RoleCatalogue } from "../../../services/key-role-service.js";
import { principalOf } from "../../auth.js";
import { LIMITS } from "../../schemas.js";
import { unkeyOk } from "../envelope.js";
import type { UnkeyRoute } from "../register.js";
import { inUnkeyTerms } from "./keys-write.js";

const REQUEST_ID = "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const KEY_ID = "key_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const ROLES_EXAMPLE = [{ id: "role_0Vg3dQ1n2Lq9Pz3RtYu4Ab", name: "editor" }];

const RolesBody = Type.Object(
  {
    keyId: Type.String({ minLength: 1, maxLength: LIMITS.idLength, description: "The key's id." }),
    roles: Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.scopeLength }), {
      maxItems: MAX_ROLES_PER_KEY,
      description:
        "Names (or ids) of existing roles; one that does not exist fails the whole call with a 400.",
    }),
  },
  { additionalProperties: false, examples: [{ keyId: KEY_ID, roles: ["editor"] }] },
);

/** The key's roles as Unkey's `Role` list (id and name; permissions are not expanded here, as on Unkey). */
function presentKeyRoles(roles: RoleCatalogue, ids: readonly string[]): { id: string; name: string }[] {
  return ids.flatMap((id) => roles.roleNames([id]).map((name) => ({ id, name })));
}

/** keys.addRoles, keys.setRoles and keys.removeRoles: each computes the key's new role list from its current one. */
function registerRoles(operation: "add" | "set" | "remove"): UnkeyRoute {
  return (scope, deps) => {
    scope.post(
      `/v2/keys.${operation}Roles`,
      {
        config: { permission: "keys:update" },
        schema: {
          tags: ["unkey"],
          summary: `${operation[0]?.toUpperCase()}${operation.slice(1)} a key's roles (Unkey v2)`,
          description:
            "Needs `keys:update`. Changes the key's roles (PATCH /v1/keys/{id} with `roles`) and returns all of " +
            `them; at most ${MAX_ROLES_PER_KEY} per key. Verification on every node sees the change at once.`,
          body: RolesBody,
          response: {
            200: Type.Object(
              {
                meta: Type.Object({ requestId: Type.String() }),
                data: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
              },
              { examples: [{ meta: { requestId: REQUEST_ID }, data: ROLES_EXAMPLE }] },
            ),
          },
        },
      },
      async (request) => {
        const body = request.body as Static<typeof RolesBody>;
        const principal = principalOf(request);
        const asked = await deps.keyRoles.roleIdsFor(body.roles, "/roles");
        let roles = asked;
        if (operation !== "set") {
          const current = (await deps.keys.findKeyToChange(principal, body.keyId)).roles;
          const gone = new Set(asked);
          roles = operation === "add" ? [...current, ...asked] : current.filter((id) => !gone.has(id));
        }
        const updated = await inUnkeyTerms(deps.keys.updateKey(principal, body.keyId, { roles }));
        return unkeyOk(request, presentKeyRoles(deps.keyRoles, updated.roles));
      },
    );
  };
}

/** Unkey's key role operations. */
export const UNKEY_KEY_ROLE_ROUTES: readonly UnkeyRoute[] = [
  registerRoles("add"),
  registerRoles("set"),
  registerRoles("remove"),
];
