import { Type } from "typebox";
import { LIMITS } from "./schemas.js";

const exampleTime = "2026-11-28T09:00:00.000Z";

/** The alert types the detectors raise. */
export const ALERT_TYPES_RAISED = ["spike", "new_source", "brute_force", "dead_key_used", "canary"] as const;

/** An example alert, for the OpenAPI document. */
export const ALERT_EXAMPLE = {
  id: "alr_0Vg3gT7n2Lq9Pz3RtYu4Ab",
  projectId: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4",
  keyId: "key_0Vg3bX4k2Ww1Lq9Pz3RtYu",
  type: "dead_key_used",
  firstSeenAt: exampleTime,
  lastSeenAt: "2026-11-28T09:04:12.000Z",
  occurrences: 3,
  details: {
    keyId: "key_0Vg3bX4k2Ww1Lq9Pz3RtYu",
    code: "REVOKED",
    ip: "203.0.113.7",
    at: exampleTime,
  },
  acknowledgedAt: null,
  acknowledgedBy: null,
};

const isoTime = (description: string) => Type.String({ format: "date-time", description });

/** An alert as the API (and the `anomaly.detected` event) shows it. */
export const AlertSchema = Type.Object(
  {
    id: Type.String(),
    projectId: Type.String(),
    keyId: Type.Union([Type.String(), Type.Null()], { description: "The key the alert is about, or null." }),
    type: Type.String({ description: `What was detected: ${ALERT_TYPES_RAISED.join(", ")}.` }),
    firstSeenAt: isoTime("When the storm began."),
    lastSeenAt: isoTime("The latest occurrence the store was told about."),
    occurrences: Type.Integer({
      description: "Storm starts reported: repeats within the 10-minute quiet window are folded into one.",
    }),
    details: Type.Record(Type.String(), Type.Unknown(), {
      description: "What the first occurrence looked like: keyId, code (the verification outcome), ip, at.",
    }),
    acknowledgedAt: Type.Union([isoTime("When the alert was acknowledged."), Type.Null()]),
    acknowledgedBy: Type.Union([Type.String(), Type.Null()], {
      description: "The admin token that acknowledged the alert, or null.",
    }),
  },
  { $id: "Alert", examples: [ALERT_EXAMPLE] },
);

/** The query of `GET /v1/alerts` besides paging. */
export const AlertFilters = {
  projectId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
  acknowledged: Type.Optional(
    Type.Boolean({ description: "true: only acknowledged alerts; false: only open ones; absent: both." }),
  ),
  type: Type.Optional(
    Type.Union(
      ALERT_TYPES_RAISED.map((t) => Type.Literal(t)),
      { description: "Only alerts of this type." },
    ),
  ),
};
