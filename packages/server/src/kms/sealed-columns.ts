import { keyCopyContext, secretValueContext, userTotpContext } from "../services/seal-contexts.js";
import { webhookSecretContext } from "../services/webhook-service.js";
import { AUDIT_SIGNING_KEY_SETTING } from "../store/audit-store.js";
import type { SealedColumn } from "../store/sealed-value-store.js";

/** A column of sealed values and the context (additional data) each row's value was sealed for. */
export interface SealedColumnSpec extends SealedColumn {
  /** What `keyward kms status` calls it. */
  name: string;
  contextOf(id: string): string;
}

/**
 * Every place Keyward keeps an envelope-sealed value. Master key rotation walks exactly these; a feature that
 * seals something new adds its column here (a test fails while a sealed column of the schema is missing).
 */
export const SEALED_COLUMNS: readonly SealedColumnSpec[] = [
  {
    name: "digest pepper versions",
    table: "peppers",
    idColumn: "name",
    valueColumn: "sealed_pepper",
    // The name is the seal context: `pepper`, `pepper.v2`, ...
    contextOf: (name) => name,
  },
  {
    name: "audit signing key",
    table: "instance_settings",
    idColumn: "name",
    valueColumn: "value",
    onlyIds: [AUDIT_SIGNING_KEY_SETTING],
    contextOf: (name) => name,
  },
  {
    name: "webhook signing secrets",
    table: "webhooks",
    idColumn: "id",
    valueColumn: "sealed_secret",
    contextOf: webhookSecretContext,
  },
  {
    name: "vault secrets",
    table: "secrets",
    idColumn: "id",
    valueColumn: "sealed_value",
    contextOf: secretValueContext,
  },
  {
    name: "recoverable key copies",
    table: "key_recoveries",
    idColumn: "key_id",
    valueColumn: "sealed_key",
    contextOf: keyCopyContext,
  },
  {
    name: "user TOTP secrets",
    table: "users",
    idColumn: "id",
    valueColumn: "totp_sealed_secret",
    contextOf: userTotpContext,
  },
];
