import { createRequire } from "node:module";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type * as Pkcs11js from "pkcs11js";

/** The pkcs11js binding: the PKCS#11 constants (`CKA_…`, `CKM_…`, `CKR_…`) and the `PKCS11` class. */
export type Pkcs11Binding = typeof Pkcs11js;

/** One PKCS#11 module, loaded and initialized once per process and shared by everyone who acquired it. */
export interface Pkcs11Library {
  readonly binding: Pkcs11Binding;
  readonly pkcs11: Pkcs11js.PKCS11;
  /** Gives this user's share back; the last one finalizes the module (C_Finalize closes every session). */
  release(): void;
}

interface Loaded {
  binding: Pkcs11Binding;
  pkcs11: Pkcs11js.PKCS11;
  users: number;
  /** False when something else in this process had initialized the module: then it is not ours to finalize. */
  initializedHere: boolean;
}

// C_Initialize is process-wide: a second one fails with CKR_CRYPTOKI_ALREADY_INITIALIZED, and one C_Finalize ends
// every session of every user. So each module path is initialized once and finalized only when nobody uses it.
const loaded = new Map<string, Loaded>();

/**
 * The PKCS#11 module at `modulePath`, loaded and initialized on first use; {@link Pkcs11Library.release} it when
 * done. Throws KMS_UNAVAILABLE when pkcs11js or the module cannot be loaded.
 */
export function acquirePkcs11Library(modulePath: string): Pkcs11Library {
  let entry = loaded.get(modulePath);
  if (entry === undefined) {
    entry = initialize(modulePath);
    loaded.set(modulePath, entry);
  }
  entry.users += 1;
  const current = entry;
  let released = false;
  return {
    binding: current.binding,
    pkcs11: current.pkcs11,
    release() {
      if (released) return;
      released = true;
      current.users -= 1;
      if (current.users > 0 || loaded.get(modulePath) !== current) return;
      loaded.delete(modulePath);
      try {
        if (current.initializedHere) current.pkcs11.C_Finalize();
      } finally {
        current.pkcs11.close();
      }
    },
  };
}

function initialize(modulePath: string): Loaded {
  const binding = loadBinding();
  const pkcs11 = new binding.PKCS11();
  try {
    pkcs11.load(modulePath);
  } catch (cause) {
    throw new KeywardError(
      "KMS_UNAVAILABLE",
      `The PKCS#11 module ${modulePath} (KEYWARD_PKCS11_MODULE) could not be loaded: check the path and that it is the HSM vendor's library for this machine.`,
      { cause },
    );
  }
  try {
    pkcs11.C_Initialize();
    return { binding, pkcs11, users: 0, initializedHere: true };
  } catch (cause) {
    if ((cause as { code?: unknown }).code === binding.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      return { binding, pkcs11, users: 0, initializedHere: false };
    }
    pkcs11.close();
    throw new KeywardError(
      "KMS_UNAVAILABLE",
      `The PKCS#11 module ${modulePath} failed to initialize (${returnValueName(cause)}).`,
      { cause, retryable: true },
    );
  }
}

/**
 * pkcs11js, loaded only when a PKCS#11 KMS is configured: it is an optional native dependency, so a machine that
 * could not build it still runs Keyward with the local KMS.
 */
function loadBinding(): Pkcs11Binding {
  try {
    return createRequire(import.meta.url)("pkcs11js") as Pkcs11Binding;
  } catch (cause) {
    throw new KeywardError(
      "KMS_UNAVAILABLE",
      "KEYWARD_KMS=pkcs11 needs the pkcs11js package, an optional native dependency that is not installed or was not built: install a C++ toolchain (make, g++, python3) and run `npm rebuild pkcs11js`.",
      { cause },
    );
  }
}

/** The `CKR_…` name of a PKCS#11 failure, for messages; `unknown error` for anything else. */
export function returnValueName(error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  return /^CKR_[A-Z0-9_]+/.exec(message)?.[0] ?? "unknown error";
}

/** The numeric PKCS#11 return value of a pkcs11js failure, or null when it is not one. */
export function returnValueOf(binding: Pkcs11Binding, error: unknown): number | null {
  if (!(error instanceof binding.Pkcs11Error)) return null;
  return error.code;
}
