import { Type } from "typebox";
import { LIMIT_NAME_PATTERN } from "../../../schemas.js";

/** Longest identifier: room for an email address, a URL path or a compound key. */
export const MAX_IDENTIFIER_LENGTH = 256;

/** Longest list cursor: the base64url of the longest identifier in UTF-8 (4 bytes a character). */
export const MAX_OVERRIDE_CURSOR_LENGTH = Math.ceil((MAX_IDENTIFIER_LENGTH * 4 * 4) / 3);

/** A namespace of standalone limits. */
export const Namespace = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: LIMIT_NAME_PATTERN,
  description: "Groups the limits of one purpose (login, signup); 1-64 characters of A-Z a-z 0-9 _ . - :.",
});

/** Whom a standalone limit counts: any characters, so it travels in a body or query, never in a path. */
export const Identifier = Type.String({
  minLength: 1,
  maxLength: MAX_IDENTIFIER_LENGTH,
  description: `Whom the limit counts: a user id, an email, an IP address (1-${MAX_IDENTIFIER_LENGTH} characters).`,
});

/** An example override, for the OpenAPI document. */
export const OVERRIDE_EXAMPLE = {
  namespace: "login",
  identifier: "user_42",
  limit: 100,
  windowMs: 60_000,
  createdAt: "2026-11-28T09:00:00.000Z",
};

/** An override as the API shows it. */
export const OverrideSchema = Type.Object(
  {
    namespace: Type.String(),
    identifier: Type.String(),
    limit: Type.Integer({ description: "Replaces the limit every request for this identifier asks for." }),
    windowMs: Type.Integer({
      description: "Replaces the window every request for this identifier asks for.",
    }),
    createdAt: Type.String({ format: "date-time", description: "When the override was last set." }),
  },
  { examples: [OVERRIDE_EXAMPLE] },
);
