import { type TSchema, Type } from "typebox";
import { MAX_AUDIT_PAGE } from "../services/audit-service.js";
import { LIMITS } from "./schemas.js";

/** Limits on audit input: filters, and the checkpoints kept elsewhere that `POST /v1/audit/verify` checks. */
export const AUDIT_LIMITS = {
  actionLength: 64,
  /** Targets include rate limit overrides, named `namespace/identifier` (64 + 1 + 256 characters). */
  targetIdLength: 400,
  /** The checkpoints of one verification: at the default of one per 1,000 entries, 10 million entries. */
  checkpoints: 10_000,
  publicKeys: 100,
  publicKeyLength: 1_000,
  signatureLength: 200,
  keyIdLength: 64,
  /** Bytes of the `POST /v1/audit/verify` body: 10,000 checkpoints of about 280 bytes fit. */
  verifyBodyBytes: 4 * 1024 * 1024,
} as const;

/** A reference to an audit component registered with `app.addSchema`. */
export function auditRef(
  name: "AuditEntry" | "AuditCheckpoint" | "AuditCheckpointExport" | "AuditVerification",
): TSchema {
  return Type.Unsafe({ $ref: `${name}#` });
}

const exampleTime = "2026-11-28T09:00:00.000Z";
const exampleHash = "9f2c4e1b7a0d3c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f";

/** An example audit entry, for the OpenAPI document. */
export const AUDIT_ENTRY_EXAMPLE = {
  id: "aud_0Vg3hU8n2Lq9Pz3RtYu4Ab",
  seq: 1042,
  at: exampleTime,
  actor: { type: "token", id: "tok_0Vg3cW8n2Lq9Pz3RtYu4Ab", name: "ci-deployer" },
  action: "key.revoked",
  target: { type: "key", id: "key_0Vg3bQn7QJ8YHh2xkLmN0a" },
  projectId: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4",
  sourceIp: "203.0.113.7",
  userAgent: "keyward-cli/0.1.0",
  requestId: "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab",
  outcome: "success",
  diff: { revokedAt: { from: null, to: 1_795_856_400_000 }, revokedReason: { from: null, to: "leaked" } },
  prevHash: "3b8e0c1d2f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d",
  hash: exampleHash,
};

/** An example checkpoint, for the OpenAPI document. */
export const AUDIT_CHECKPOINT_EXAMPLE = {
  seq: 1000,
  hash: exampleHash,
  at: exampleTime,
  keyId: "ed25519:cca88577b88eb021",
  signature: "YXH1YvY/xlptT8wy4spZTZdTBjNnkIWyOFggb6A2uMZF2kh7i7rgvdD5dhLux+v2m54N+Fu0ikQUKL4gtf0gDQ==",
  kind: "periodic",
};

const isoTime = (description: string) => Type.String({ format: "date-time", description });
const nullableText = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

/** An entry of the audit log as the API shows it: times as ISO 8601 with milliseconds, which round-trip exactly. */
export const AuditEntrySchema = Type.Object(
  {
    id: Type.String(),
    seq: Type.Integer({
      description: "Position in the log: 1 for the first entry ever, one more per entry.",
    }),
    at: isoTime("When it happened."),
    actor: Type.Object(
      {
        type: Type.String({ description: "token, user, or system (the scheduler, the anomaly detectors)." }),
        id: Type.String(),
        name: Type.Union([Type.String(), Type.Null()], { description: "The actor's name at the time." }),
      },
      { description: "Who did it." },
    ),
    action: Type.String({ description: "A dotted verb: key.created, token.revoked, request.refused, …" }),
    target: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()], {
      description: "What it was done to, or null.",
    }),
    projectId: nullableText("The target's project, or null for instance-wide actions."),
    sourceIp: nullableText("The client address of the request, or null for what Keyward did by itself."),
    userAgent: nullableText("The request's User-Agent, or null."),
    requestId: nullableText("The request id (x-request-id), or null."),
    outcome: Type.String({ description: "success, or failure (a refused request)." }),
    diff: Type.Record(Type.String(), Type.Unknown(), {
      description:
        "What changed, redacted: `{field: {from, to}}` for a change, `{field: value}` for a creation. Never a " +
        "key, a token, a secret or a digest. Times inside are epoch milliseconds, as hashed.",
    }),
    prevHash: Type.String({ description: "Hex SHA-256 of the previous entry (64 zeros for the first)." }),
    hash: Type.String({ description: "Hex SHA-256 of this entry's canonical JSON, prevHash included." }),
  },
  { $id: "AuditEntry", examples: [AUDIT_ENTRY_EXAMPLE] },
);

const checkpointProperties = {
  seq: Type.Integer({ minimum: 1, description: "The entry it vouches for." }),
  hash: Type.String({ description: "The hash of the entry at seq: the chain up to it ends there." }),
  at: isoTime("When it was signed."),
  keyId: Type.String({ description: "The signing key, `ed25519:` and 16 hex digits of its SPKI SHA-256." }),
  signature: Type.String({
    description: "Base64 Ed25519 signature over the canonical JSON of seq, hash, at, keyId.",
  }),
};

/** A signed checkpoint as the API shows it. */
export const AuditCheckpointSchema = Type.Object(
  {
    ...checkpointProperties,
    kind: Type.String({
      description:
        "periodic (every N entries), on_demand (asked for), or pruning (summarises pruned entries).",
    }),
  },
  { $id: "AuditCheckpoint", examples: [AUDIT_CHECKPOINT_EXAMPLE] },
);

const AUDIT_PUBLIC_KEY_EXAMPLE = {
  keyId: AUDIT_CHECKPOINT_EXAMPLE.keyId,
  publicKey:
    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEARjmfpq/jkk7hVf8qtKcsxbwB7YOC1qfLvo3G8ia9vO0=\n-----END PUBLIC KEY-----\n",
};

/** Every checkpoint and the public keys that verify them: a file to keep outside Keyward. */
export const AuditCheckpointExportSchema = Type.Object(
  {
    publicKeys: Type.Array(
      Type.Object({
        keyId: Type.String(),
        publicKey: Type.String({ description: "The Ed25519 public key, SPKI PEM." }),
      }),
    ),
    checkpoints: Type.Array(auditRef("AuditCheckpoint"), { description: "In seq order." }),
  },
  {
    $id: "AuditCheckpointExport",
    examples: [{ publicKeys: [AUDIT_PUBLIC_KEY_EXAMPLE], checkpoints: [AUDIT_CHECKPOINT_EXAMPLE] }],
  },
);

const head = Type.Object(
  { seq: Type.Integer(), hash: Type.String() },
  { description: "The end of the chain as the store counts it: the last entry's seq and hash." },
);

/** The five ways a chain breaks, as `reason` names them. */
export const AUDIT_BREAK_REASONS = [
  "modified",
  "deleted",
  "inserted",
  "reordered",
  "checkpoint_mismatch",
] as const;

/** The verdict of a verification: an outcome, sent with 200 whether the log is intact or not. */
export const AuditVerificationSchema = Type.Union(
  [
    Type.Object({
      ok: Type.Literal(true),
      entries: Type.Integer({ description: "Entries checked." }),
      checkpoints: Type.Integer({ description: "Checkpoints whose signature and hash were checked." }),
      head,
    }),
    Type.Object({
      ok: Type.Literal(false),
      entries: Type.Integer({ description: "Entries read until the break was found." }),
      reason: Type.String({ description: `How the chain broke: ${AUDIT_BREAK_REASONS.join(", ")}.` }),
      firstBadEntry: Type.Union(
        [
          Type.Object({
            id: Type.String(),
            seq: Type.Integer(),
            action: Type.String(),
            at: isoTime("When the entry says it happened."),
          }),
          Type.Null(),
        ],
        {
          description:
            "The first entry found bad, or null when what is wrong is no entry (a checkpoint, a cut end).",
        },
      ),
      detail: Type.String({ description: "One sentence saying what was found." }),
      head,
    }),
  ],
  {
    $id: "AuditVerification",
    examples: [
      { ok: true, entries: 1042, checkpoints: 1, head: { seq: 1042, hash: exampleHash } },
      {
        ok: false,
        entries: 2,
        reason: "modified",
        firstBadEntry: { id: "aud_0Vg3hU8n2Lq9Pz3RtYu4Ab", seq: 2, action: "x", at: exampleTime },
        detail: "Entry 2 does not match its hash: it was edited.",
        head: { seq: 1042, hash: exampleHash },
      },
    ],
  },
);

/** Every audit component, in the order `app.addSchema` must see them. */
export const AUDIT_SCHEMAS = [
  AuditEntrySchema,
  AuditCheckpointSchema,
  AuditCheckpointExportSchema,
  AuditVerificationSchema,
];

/** The query of `GET /v1/audit`. */
export const AuditListQuery = Type.Object(
  {
    actorId: Type.Optional(
      Type.String({ minLength: 1, maxLength: LIMITS.idLength, description: "Only entries by this actor." }),
    ),
    action: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: AUDIT_LIMITS.actionLength,
        description: "Only entries of this action, such as key.revoked.",
      }),
    ),
    targetId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: AUDIT_LIMITS.targetIdLength,
        description: "Only entries about this target (a key, token, project, webhook id, …).",
      }),
    ),
    projectId: Type.Optional(
      Type.String({ minLength: 1, maxLength: LIMITS.idLength, description: "Only entries of this project." }),
    ),
    from: Type.Optional(isoTime("Only entries at or after this instant (RFC 3339).")),
    to: Type.Optional(isoTime("Only entries before this instant (RFC 3339, exclusive).")),
    order: Type.Optional(
      Type.Union([Type.Literal("newest"), Type.Literal("oldest")], {
        description: "newest (default) pages back in time; oldest pages forward, as exports do.",
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_AUDIT_PAGE,
        default: 100,
        description: `Page size (1-${MAX_AUDIT_PAGE}).`,
      }),
    ),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.cursorLength,
        description: "nextCursor from the previous page (asked with the same order).",
      }),
    ),
    count: Type.Optional(
      Type.Boolean({ description: "true: also count every entry matching the filters, as `total`." }),
    ),
  },
  { additionalProperties: false },
);

/** A page of entries, with the count of every match when `count=true`. */
export const AuditPageSchema = Type.Object(
  {
    items: Type.Array(auditRef("AuditEntry")),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
    total: Type.Optional(Type.Integer({ description: "Entries matching the filters, when count=true." })),
  },
  {
    examples: [{ items: [AUDIT_ENTRY_EXAMPLE], nextCursor: "MTA0MQ", total: 1042 }],
  },
);

/** The body of `POST /v1/audit/verify`: what `GET /v1/audit/checkpoints` returned, kept elsewhere. */
export const AuditVerifyBody = Type.Object(
  {
    publicKeys: Type.Array(
      Type.Object(
        {
          keyId: Type.String({ minLength: 1, maxLength: AUDIT_LIMITS.keyIdLength }),
          publicKey: Type.String({ minLength: 1, maxLength: AUDIT_LIMITS.publicKeyLength }),
        },
        { additionalProperties: false },
      ),
      { maxItems: AUDIT_LIMITS.publicKeys, description: "Keys that verify the checkpoints (SPKI PEM)." },
    ),
    checkpoints: Type.Array(
      Type.Object(
        {
          seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
          hash: Type.String({ pattern: "^[0-9a-f]{64}$" }),
          at: Type.String({ format: "date-time", maxLength: 40 }),
          keyId: Type.String({ minLength: 1, maxLength: AUDIT_LIMITS.keyIdLength }),
          signature: Type.String({ minLength: 1, maxLength: AUDIT_LIMITS.signatureLength }),
          kind: Type.Optional(
            Type.Union([Type.Literal("periodic"), Type.Literal("on_demand"), Type.Literal("pruning")]),
          ),
        },
        { additionalProperties: false },
      ),
      {
        maxItems: AUDIT_LIMITS.checkpoints,
        description: `Up to ${AUDIT_LIMITS.checkpoints} checkpoints; keep the newest when a file holds more.`,
      },
    ),
  },
  {
    additionalProperties: false,
    examples: [{ publicKeys: [AUDIT_PUBLIC_KEY_EXAMPLE], checkpoints: [AUDIT_CHECKPOINT_EXAMPLE] }],
  },
);
