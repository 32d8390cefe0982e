import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { Config, Pkcs11Config } from "../config.js";
import type { Kms } from "./kms.js";
import { LocalKms } from "./local-kms.js";
import { loadOrCreateMasterKeyring, MASTER_KEY_FILE } from "./master-key.js";
import { Pkcs11Kms } from "./pkcs11-kms.js";

/**
 * The Kms this configuration names (`KEYWARD_KMS`): a {@link LocalKms}, or a {@link Pkcs11Kms} logged in to the
 * configured token, with the first master key version generated there when it holds none. Close a Pkcs11Kms when
 * done (`instance.close()` does).
 */
export function openKms(config: Config): Kms {
  if (config.kms === "pkcs11" && config.pkcs11 !== null) return openPkcs11Kms(config.pkcs11);
  return openLocalKms(config);
}

/** Gives back what a Kms holds (a Pkcs11Kms's session and module); nothing for one that holds nothing. */
export function closeKms(kms: Kms): void {
  const closable = kms as Kms & { close?: unknown };
  if (typeof closable.close === "function") closable.close();
}

/**
 * The LocalKms of this configuration: the versions of `KEYWARD_MASTER_KEY`, or the `master.key` keyring file of the
 * data directory (made on first start), which `keyward kms rotate` adds versions to.
 */
export function openLocalKms(config: Config): LocalKms {
  if (config.masterKey !== null) return new LocalKms([...config.previousMasterKeys, config.masterKey]);
  const keys = loadOrCreateMasterKeyring(config.dataDir);
  return new LocalKms(keys, { file: join(config.dataDir, MASTER_KEY_FILE) });
}

/** Opens the configured token; the PIN comes from the environment or a file only group and others cannot read. */
export function openPkcs11Kms(config: Pkcs11Config): Pkcs11Kms {
  return Pkcs11Kms.open({
    modulePath: config.modulePath,
    token: config.tokenLabel !== null ? { label: config.tokenLabel } : { slot: config.slot ?? 0 },
    pin: config.pin ?? readPinFile(config.pinFile ?? ""),
    keyLabel: config.keyLabel,
  });
}

/** The PIN in `path` (one line; the line break is not part of it), refused when group or others can read it. */
export function readPinFile(path: string): string {
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new KeywardError(
        "CONFIG_INVALID",
        `The PIN file ${path} (KEYWARD_PKCS11_PIN_FILE) is readable by group or others; run: chmod 600 ${path}`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof KeywardError) throw error;
    throw new KeywardError(
      "CONFIG_INVALID",
      `The PIN file ${path} (KEYWARD_PKCS11_PIN_FILE) cannot be read.`,
      { cause: error },
    );
  }
  const pin = text.replace(/\r?\n$/, "");
  if (pin === "" || pin.includes("\n")) {
    throw new KeywardError(
      "CONFIG_INVALID",
      `The PIN file ${path} (KEYWARD_PKCS11_PIN_FILE) must hold the PIN on one line.`,
    );
  }
  return pin;
}
