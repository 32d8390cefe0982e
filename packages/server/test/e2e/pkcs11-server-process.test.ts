import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it } from "vitest";
import {
  isServerBuilt,
  KEYWARD_BIN,
  requestJson,
  type ServerProcess,
  startServerProcess,
} from "../support/server-process.js";
import { createSoftHsm, SOFTHSM_MODULE, softHsmAvailable } from "../support/softhsm.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";

const built = isServerBuilt();
const available = await softHsmAvailable();

const processes: ServerProcess[] = [];
const dirs: string[] = [];
let receiver: WebhookReceiver | undefined;
const hsm = available ? createSoftHsm() : null;

afterAll(async () => {
  for (const server of processes) if (server.child.exitCode === null) await server.stop();
  await receiver?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  hsm?.remove();
});

describe.skipIf(!built || !available)(
  "the built server with its master key in SoftHSM2 (KEYWARD_KMS=pkcs11)",
  () => {
    it("starts, seals a webhook secret and the pepper in the HSM, and after a restart still verifies and signs; no master.key", async () => {
      if (hsm === null) throw new Error("SoftHSM2 is available but was not set up");
      const token = hsm.initToken("keyward-e2e");
      const dataDir = mkdtempSync(join(tmpdir(), "keyward-e2e-pkcs11-"));
      const secretsDir = mkdtempSync(join(tmpdir(), "keyward-e2e-pin-"));
      dirs.push(dataDir, secretsDir);
      const pinFile = join(secretsDir, "pin");
      writeFileSync(pinFile, `${token.pin}\n`, { mode: 0o600 });
      const env = {
        KEYWARD_DATA_DIR: dataDir,
        KEYWARD_KMS: "pkcs11",
        KEYWARD_PKCS11_MODULE: SOFTHSM_MODULE,
        KEYWARD_PKCS11_TOKEN_LABEL: token.label,
        KEYWARD_PKCS11_PIN_FILE: pinFile,
        SOFTHSM2_CONF: hsm.conf,
        KEYWARD_WEBHOOK_POLL_MS: "50",
      };
      receiver = await startWebhookReceiver();

      let server = await startServerProcess(env);
      processes.push(server);
      const rootToken = server.rootToken;
      if (rootToken === null) throw new Error("a fresh data directory must print a root token");
      const webhook = await requestJson<{ id: string; secret: string }>(
        server.url,
        rootToken,
        "POST",
        "/v1/webhooks",
        {
          url: receiver.url,
          events: ["key.created"],
        },
      );
      expect(webhook.status, JSON.stringify(webhook.body)).toBe(201);
      const created = await requestJson<{ key: string }>(server.url, rootToken, "POST", "/v1/keys", {});
      expect(created.status).toBe(201);
      expect(await server.stop()).toBe(0);

      // The pepper, the audit key and the webhook secret are all unsealed through the token after the restart.
      server = await startServerProcess(env);
      processes.push(server);
      expect(server.rootToken).toBeNull();
      const verified = await requestJson(server.url, rootToken, "POST", "/v1/keys/verify", {
        key: created.body.key,
      });
      expect(verified.body).toMatchObject({ valid: true, code: "VALID" });
      const second = await requestJson<{ id: string }>(server.url, rootToken, "POST", "/v1/keys", {});
      expect(second.status).toBe(201);
      await receiver.waitFor((all) => all.some((w) => w.body.includes(second.body.id)));
      const signer = new Webhook(webhook.body.secret);
      for (const delivery of receiver.received) {
        expect(() => signer.verify(delivery.body, delivery.headers)).not.toThrow();
      }
      expect(await server.stop()).toBe(0);

      expect(readdirSync(dataDir)).not.toContain("master.key");
    });

    it("refuses to start, naming the problem and never the PIN, with a wrong PIN or another master key", async () => {
      if (hsm === null) throw new Error("SoftHSM2 is available but was not set up");
      const token = hsm.initToken("keyward-e2e-refusals");
      const dataDir = mkdtempSync(join(tmpdir(), "keyward-e2e-pkcs11-"));
      const secretsDir = mkdtempSync(join(tmpdir(), "keyward-e2e-pin-"));
      dirs.push(dataDir, secretsDir);
      const pinFile = join(secretsDir, "pin");
      writeFileSync(pinFile, token.pin, { mode: 0o600 });
      const env = {
        PATH: process.env.PATH ?? "",
        KEYWARD_DATA_DIR: dataDir,
        KEYWARD_KMS: "pkcs11",
        KEYWARD_PKCS11_MODULE: SOFTHSM_MODULE,
        KEYWARD_PKCS11_TOKEN_LABEL: token.label,
        KEYWARD_PKCS11_PIN_FILE: pinFile,
        SOFTHSM2_CONF: hsm.conf,
      };
      const serve = (overrides: Record<string, string>) =>
        spawnSync(process.execPath, [KEYWARD_BIN, "serve", "--port", "0"], {
          env: { ...env, ...overrides },
          encoding: "utf8",
          timeout: 20_000,
        });
      const init = spawnSync(process.execPath, [KEYWARD_BIN, "init", "--json"], { env, encoding: "utf8" });
      expect(init.status, init.stderr).toBe(0);

      const wrongPinFile = join(secretsDir, "wrong-pin");
      writeFileSync(wrongPinFile, "not-the-pin", { mode: 0o600 });
      const wrongPin = serve({ KEYWARD_PKCS11_PIN_FILE: wrongPinFile });
      expect(wrongPin.status).not.toBe(0);
      expect(wrongPin.stderr).toContain("KMS_UNAVAILABLE");
      expect(wrongPin.stderr).toContain("CKR_PIN_INCORRECT");
      expect(`${wrongPin.stdout}${wrongPin.stderr}`).not.toContain("not-the-pin");

      // Another label is another master key (made in the token on first use): it cannot open this store's pepper.
      const otherKey = serve({ KEYWARD_PKCS11_KEY_LABEL: "another-master" });
      expect(otherKey.status).not.toBe(0);
      expect(otherKey.stderr).toContain("MASTER_KEY_MISMATCH");
      expect(`${otherKey.stdout}${otherKey.stderr}`).not.toContain(token.pin);
    });
  },
);
