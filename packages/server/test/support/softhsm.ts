import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isServiceAvailable } from "./require-service.js";

/** The PKCS#11 module of Debian's `softhsm2` package (`KEYWARD_TEST_PKCS11_MODULE` overrides it). */
export const SOFTHSM_MODULE = process.env.KEYWARD_TEST_PKCS11_MODULE ?? "/usr/lib/softhsm/libsofthsm2.so";

/** Whether SoftHSM2 is installed: skips loudly when it is not, fails under CI=true (`.ci/run` installs it). */
export function softHsmAvailable(): Promise<boolean> {
  return isServiceAvailable({
    name: `SoftHSM2 (${SOFTHSM_MODULE} and softhsm2-util; apt-get install softhsm2)`,
    probe: async () => {
      if (!existsSync(SOFTHSM_MODULE)) throw new Error(`${SOFTHSM_MODULE} does not exist`);
      const version = spawnSync("softhsm2-util", ["--version"], { encoding: "utf8" });
      if (version.status !== 0) throw new Error("softhsm2-util does not run");
    },
  });
}

/** A token in a {@link SoftHsm}: its label and user PIN. */
export interface SoftHsmToken {
  label: string;
  pin: string;
}

/** A SoftHSM2 of its own: a temporary token directory and the config file naming it. */
export interface SoftHsm {
  /** The `softhsm2.conf` to give a process as SOFTHSM2_CONF. */
  conf: string;
  /** Initializes a new token (random user and SO PINs) in the first free slot. */
  initToken(label: string): SoftHsmToken;
  /** Deletes the token directory. */
  remove(): void;
}

/**
 * Makes a fresh SoftHSM2 token directory. SoftHSM2 reads its config and lists its tokens when the module is
 * initialized, so a process must be given SOFTHSM2_CONF, and the tokens it uses made, before it opens the module.
 */
export function createSoftHsm(): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), "keyward-softhsm-"));
  const tokens = join(dir, "tokens");
  mkdirSync(tokens, { mode: 0o700 });
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  return {
    conf,
    initToken(label) {
      const pin = randomBytes(8).toString("hex");
      const soPin = randomBytes(8).toString("hex");
      const result = spawnSync(
        "softhsm2-util",
        ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", soPin],
        { env: { ...process.env, SOFTHSM2_CONF: conf }, encoding: "utf8" },
      );
      if (result.status !== 0) throw new Error(`softhsm2-util --init-token failed: ${result.stderr}`);
      return { label, pin };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
