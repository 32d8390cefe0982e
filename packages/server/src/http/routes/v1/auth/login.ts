import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { originOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { presentSession, presentUser } from "../../../user-presenters.js";
import {
  CSRF_TOKEN_EXAMPLE,
  Email,
  SESSION_EXAMPLE,
  SESSION_SECRET_EXAMPLE,
  SecondFactorCode,
  USER_EXAMPLE,
  userRef,
} from "../../../user-schemas.js";
import { sessionCookie } from "./session-cookie.js";

/** POST /v1/auth/login: checks a password (and a second factor) and opens a session. */
export function registerLogin(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/auth/login",
    {
      config: { permission: null },
      schema: {
        tags: ["auth"],
        summary: "Log in",
        description:
          "Public. Checks the email and password (a wrong email and a wrong password get the same 401 " +
          "UNAUTHORIZED) and, when the user has two-factor authentication, `code`: a TOTP code or a recovery " +
          "code (401 MFA_REQUIRED when it is missing, wrong or already used). Attempts are limited per account " +
          "and per source address (429 TOO_MANY_LOGIN_ATTEMPTS with Retry-After). `client: browser` (the " +
          "default) sets the session cookie `__Host-keyward_session` (HttpOnly, Secure, SameSite=Strict); every " +
          "cookie-authenticated request that changes something must send `csrfToken` in the x-csrf-token header. " +
          "`client: cli` sets no cookie and returns the session secret as `token`, sent as Authorization: Bearer. " +
          "Sessions end after 30 minutes idle or 12 hours.",
        body: Type.Object(
          {
            email: Email,
            // The password policy judges length at creation; here any stored password must be accepted.
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            code: Type.Optional(SecondFactorCode),
            client: Type.Optional(
              Type.Union([Type.Literal("browser"), Type.Literal("cli")], {
                default: "browser",
                description: "browser: a session cookie; cli: the session secret in the response as `token`.",
              }),
            ),
          },
          {
            additionalProperties: false,
            examples: [
              { email: "ada@example.com", password: "correct horse battery staple", code: "492039" },
            ],
          },
        ),
        response: {
          200: Type.Object(
            {
              user: userRef("User"),
              session: userRef("Session"),
              csrfToken: Type.String({
                description: "Send it in x-csrf-token with every cookie-authenticated change.",
              }),
              token: Type.Optional(
                Type.String({ description: "client: cli only — the session secret, shown once." }),
              ),
            },
            {
              examples: [
                { user: USER_EXAMPLE, session: SESSION_EXAMPLE, csrfToken: CSRF_TOKEN_EXAMPLE },
                {
                  user: USER_EXAMPLE,
                  session: { ...SESSION_EXAMPLE, kind: "cli" },
                  csrfToken: CSRF_TOKEN_EXAMPLE,
                  token: SESSION_SECRET_EXAMPLE,
                },
              ],
            },
          ),
          ...problems(413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { email, password, code } = request.body;
      const kind = request.body.client ?? "browser";
      const result = await deps.auth.login({
        email,
        password,
        ...(code === undefined ? {} : { code }),
        kind,
        origin: originOf(request),
      });
      const body = {
        user: presentUser(result.user),
        session: presentSession(result.session, result.session.id),
        csrfToken: result.csrfToken,
      };
      if (kind === "cli") return { ...body, token: result.secret };
      const maxAgeSeconds = Math.floor((result.session.expiresAt - result.session.createdAt) / 1000);
      reply.header("set-cookie", sessionCookie(result.secret, maxAgeSeconds));
      return body;
    },
  );
}
