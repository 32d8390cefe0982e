import { ROLES } from "@keyward/core/roles.js";
import { type TSchema, Type } from "typebox";
import { USER_LIMITS } from "../services/user-service.js";
import { LIMITS } from "./schemas.js";

/** A reference to a user component registered with `app.addSchema`. */
export function userRef(name: "User" | "Session"): TSchema {
  return Type.Unsafe({ $ref: `${name}#` });
}

const exampleTime = "2026-11-28T09:00:00.000Z";

/** An example user, for the OpenAPI document. */
export const USER_EXAMPLE = {
  id: "usr_0Vg3eR2n2Lq9Pz3RtYu4Ab",
  email: "ada@example.com",
  name: "Ada Lovelace",
  roles: [{ role: "developer", projectId: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4" }],
  twoFactorEnabled: true,
  hasPassword: true,
  createdBy: "usr_0Vg3aZk2Ww1Lq9Pz3Rt000",
  createdAt: exampleTime,
  updatedAt: exampleTime,
};

/** An example session, for the OpenAPI document. */
export const SESSION_EXAMPLE = {
  id: "ses_0Vg3fS3n2Lq9Pz3RtYu4Ab",
  kind: "browser",
  createdAt: exampleTime,
  lastSeenAt: exampleTime,
  expiresAt: "2026-11-28T21:00:00.000Z",
  secondFactorAt: exampleTime,
  revokedAt: null,
  sourceIp: "203.0.113.7",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
  current: true,
};

/** An example session secret (not a real one), for the OpenAPI document. */
export const SESSION_SECRET_EXAMPLE = "kws_3ZyXw9VuTsRqPoNmLkJiHgFeDcBa5xyzQwErTyUiOp";

/** An example CSRF token, for the OpenAPI document. */
export const CSRF_TOKEN_EXAMPLE = "Jx2cVb7Hq0zK1mN4pQ8rS5tU6vW9yA3bC2dE7fG0hI4";

const timestamp = (description: string) => Type.String({ format: "date-time", description });
const nullableTimestamp = (description: string) =>
  Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description });

/** A role name in a request body; the service checks who may grant it. */
export const RoleName = Type.Union(
  ROLES.map((role) => Type.Literal(role)),
  {
    description:
      "owner (everything, including users and roles), admin (everything but owners), developer (create, " +
      "rotate, revoke and verify keys; read usage), auditor (read metadata, audit log, usage, alerts), viewer " +
      "(read metadata).",
  },
);

/** An email address in a request body; the service checks its shape and lowercases it. */
export const Email = Type.String({ minLength: 1, maxLength: USER_LIMITS.emailLength });

/** A user's display name in a request body. */
export const UserName = Type.String({ minLength: 1, maxLength: USER_LIMITS.nameLength });

/** The projects a role is bound to in a request body; null or absent binds it instance-wide. */
export const ProjectIds = Type.Union(
  [
    Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.idLength }), {
      minItems: 1,
      maxItems: LIMITS.projectIds,
    }),
    Type.Null(),
  ],
  { description: "Bind the role in these projects only; null or absent: instance-wide." },
);

/** A TOTP code (6 digits) or a recovery code, as a request body carries it. */
export const SecondFactorCode = Type.String({
  minLength: 1,
  maxLength: 64,
  description: "The 6-digit code of the authenticator app, or one of the recovery codes (each works once).",
});

/** An admin user as the API shows it: never the password hash, the TOTP secret or a session. */
export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String({ description: "Lowercased; unique." }),
    name: Type.String(),
    roles: Type.Array(
      Type.Object({
        role: Type.String(),
        projectId: Type.Union([Type.String(), Type.Null()], {
          description: "The project the role applies in, or null for every project.",
        }),
      }),
      { description: "The user's role bindings." },
    ),
    twoFactorEnabled: Type.Boolean({ description: "True once a TOTP enrolment was confirmed." }),
    hasPassword: Type.Boolean({ description: "False while an invited user has not set a password yet." }),
    createdBy: Type.Union([Type.String(), Type.Null()], {
      description: "The user or admin token that created this user.",
    }),
    createdAt: timestamp("When the user was created."),
    updatedAt: timestamp("When the user was last changed."),
  },
  { $id: "User", examples: [USER_EXAMPLE] },
);

/** A login session as the API shows it: never its secret. */
export const SessionSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.Union([Type.Literal("browser"), Type.Literal("cli")], {
      description: "browser: a cookie from POST /v1/auth/login; cli: a bearer for `keyward login`.",
    }),
    createdAt: timestamp("When the user logged in."),
    lastSeenAt: timestamp("The session's last use (updated at most once a minute); idle 30 min ends it."),
    expiresAt: timestamp("The absolute end (12 h after login), however busy the session."),
    secondFactorAt: nullableTimestamp(
      "When this session last presented a second factor (login with a code, or step-up), or null.",
    ),
    revokedAt: nullableTimestamp("When the session was ended (logout or revocation), or null."),
    sourceIp: Type.Union([Type.String(), Type.Null()], { description: "Where the login came from." }),
    userAgent: Type.Union([Type.String(), Type.Null()], {
      description: "The login's User-Agent (256 chars).",
    }),
    current: Type.Boolean({ description: "True for the session that made this request." }),
  },
  { $id: "Session", examples: [SESSION_EXAMPLE] },
);

/** The user components, registered once by the app. */
export const USER_SCHEMAS: readonly TSchema[] = [UserSchema, SessionSchema];
