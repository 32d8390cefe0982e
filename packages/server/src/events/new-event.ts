import { newId } from "@keyward/core/ids.js";
import type { NewEvent } from "../store/records.js";
import type { EventType } from "./event-types.js";

/** An event with its payload in the Standard Webhooks shape `{type, timestamp, data}`. */
export function newEvent(input: {
  type: EventType;
  projectId: string;
  keyId: string | null;
  data: Record<string, unknown>;
  nowMs: number;
}): NewEvent {
  const { type, projectId, keyId, data, nowMs } = input;
  return {
    id: newId("evt", { now: nowMs }),
    projectId,
    type,
    keyId,
    payload: JSON.stringify({ type, timestamp: new Date(nowMs).toISOString(), data }),
    createdAt: nowMs,
  };
}
