import { Type } from "typebox";
import { INVITATION_EXPIRY_HOURS } from "../../../../services/user-service.js";
import type { InvitationRecord } from "../../../../store/user-store.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { isoOrNull } from "../../../presenters.js";
import { problems } from "../../../route-kit.js";
import { LIMITS } from "../../../schemas.js";
import { Email, RoleName } from "../../../user-schemas.js";

/** Where the invited person sends the secret; returned with it so a client need not hard-code the path. */
export const ACCEPT_INVITATION_PATH = "/v1/auth/accept-invitation";

const INVITATION_EXAMPLE = {
  id: "inv_0Vg3gT4n2Lq9Pz3RtYu4Ab",
  email: "grace@example.com",
  role: "developer",
  projectId: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4",
  createdBy: "usr_0Vg3aZk2Ww1Lq9Pz3Rt000",
  createdAt: "2026-11-28T09:00:00.000Z",
  expiresAt: "2026-12-01T09:00:00.000Z",
  acceptedAt: null,
};

/** An example invitation secret (not a real one), for the OpenAPI document. */
export const INVITATION_TOKEN_EXAMPLE = "kwi_7HqLw2VuTsRqPoNmLkJiHgFeDcBa5xyzQwErTyUiOp";

/** An invitation as JSON: explicit fields only (the record holds only the secret's digest, and this omits even that). */
export function presentInvitation(invitation: InvitationRecord) {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    projectId: invitation.projectId,
    createdBy: invitation.createdBy,
    createdAt: new Date(invitation.createdAt).toISOString(),
    expiresAt: new Date(invitation.expiresAt).toISOString(),
    acceptedAt: isoOrNull(invitation.acceptedAt),
  };
}

const InvitationSchema = Type.Object({
  id: Type.String(),
  email: Type.String({ description: "Lowercased; the account created on acceptance has this email." }),
  role: Type.String(),
  projectId: Type.Union([Type.String(), Type.Null()], {
    description: "The project the role applies in, or null for every project.",
  }),
  createdBy: Type.Union([Type.String(), Type.Null()], {
    description: "The user or admin token that invited.",
  }),
  createdAt: Type.String({ format: "date-time" }),
  expiresAt: Type.String({
    format: "date-time",
    description: "After this, the invitation cannot be accepted.",
  }),
  acceptedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
});

/** POST /v1/users/invitations: invites someone to become a user with one role; the secret is shown once. */
export function registerCreateInvitation(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/users/invitations",
    {
      config: { permission: "users:write" },
      schema: {
        tags: ["users"],
        summary: "Invite a user",
        description:
          "Needs `users:write`; from a user's session also a second factor within the last 5 minutes (403 " +
          "STEP_UP_REQUIRED). The same rules as creating a user: only an owner invites an owner (403 " +
          "otherwise); a caller limited to some projects invites into those projects only. An invitation binds " +
          "its role instance-wide or in **one** project (more bindings: PATCH /v1/users/{id} after acceptance). " +
          "Returns `token` (`kwi_…`), shown once and stored only as a digest: hand it to the person, who sends " +
          "it with a name and password to `acceptPath` within `expiresInHours` (default 72, at most 720). It " +
          "works once. 409 when a user has this email already.",
        body: Type.Object(
          {
            email: Email,
            role: RoleName,
            projectIds: Type.Optional(
              Type.Union(
                [
                  Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.idLength }), {
                    minItems: 1,
                    maxItems: 1,
                  }),
                  Type.Null(),
                ],
                { description: "Bind the role in this one project; null or absent: instance-wide." },
              ),
            ),
            expiresInHours: Type.Optional(
              Type.Integer({
                minimum: INVITATION_EXPIRY_HOURS.min,
                maximum: INVITATION_EXPIRY_HOURS.max,
                default: INVITATION_EXPIRY_HOURS.default,
                description: "How long the invitation can be accepted, in hours.",
              }),
            ),
          },
          {
            additionalProperties: false,
            examples: [
              {
                email: "grace@example.com",
                role: "developer",
                projectIds: ["proj_0Vg3aZk2Ww1Lq9Pz3RtYu4"],
                expiresInHours: 72,
              },
            ],
          },
        ),
        response: {
          201: Type.Object(
            {
              invitation: InvitationSchema,
              token: Type.String({ description: "The invitation's secret (`kwi_…`), shown once." }),
              acceptPath: Type.String({ description: "Where to accept it: POST {token, name, password}." }),
            },
            {
              examples: [
                {
                  invitation: INVITATION_EXAMPLE,
                  token: INVITATION_TOKEN_EXAMPLE,
                  acceptPath: ACCEPT_INVITATION_PATH,
                },
              ],
            },
          ),
          ...problems(409, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const { invitation, token } = await deps.users.invite(principalOf(request), request.body);
      return reply
        .status(201)
        .send({ invitation: presentInvitation(invitation), token, acceptPath: ACCEPT_INVITATION_PATH });
    },
  );
}
