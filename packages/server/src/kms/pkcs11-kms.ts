import { randomBytes } from "node:crypto";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { AesGCM, Attribute, Handle, Mechanism } from "pkcs11js";
import type { DataKey, Kms, KmsKeyVersion, RewrappedDataKey } from "./kms.js";
import {
  acquirePkcs11Library,
  type Pkcs11Binding,
  type Pkcs11Library,
  returnValueName,
  returnValueOf,
} from "./pkcs11-library.js";

/** Where a {@link Pkcs11Kms} finds its token and master key. */
export interface Pkcs11KmsOptions {
  /** The HSM vendor's PKCS#11 module (`.so`). */
  modulePath: string;
  /** The token, by its label or by its slot id. */
  token: { label: string } | { slot: number };
  /** The user PIN. */
  pin: string;
  /** CKA_LABEL shared by every version of the master key in the token. */
  keyLabel: string;
}

/** One version of the master key: an AES-256 key object in the token, known only by its handle. */
interface KeyVersion {
  version: number;
  keyId: string;
  /** CKA_ID: `keyward:`, the version, 8 random bytes (so two processes' objects of one version differ). */
  objectId: Buffer;
  handle: Handle;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;
/** CKA_ID of a version: this marker, the version (4 bytes, big-endian), then 8 random bytes. */
const OBJECT_ID_MARKER = Buffer.from("keyward:", "ascii");
const OBJECT_ID_BYTES = OBJECT_ID_MARKER.length + 4 + 8;
/** `iv || ciphertext || tag` of one data key: every wrapped key has exactly this length. */
const WRAPPED_BYTES = IV_BYTES + DATA_KEY_BYTES + TAG_BYTES;

/**
 * A {@link Kms} whose master key versions are AES-256 keys generated inside a PKCS#11 token (an HSM; SoftHSM2 in
 * tests), sensitive and not extractable: wrapping and unwrapping are AES-GCM operations the token performs, so the
 * master key never exists in this process. The versions share one CKA_LABEL; the highest is current. Every process
 * with the same token, PIN and label uses the same versions, and follows the versions another process makes or
 * retires.
 *
 * pkcs11js calls are synchronous and hold the event loop for the duration of the token operations (on SoftHSM2
 * about 0.15 ms to unwrap, 0.7 ms to wrap, listing included; a network HSM's round trips); Keyward calls the KMS only
 * to seal or open a secret, never to verify a key.
 * One session, logged in once, serves every call; calls never overlap because each runs to completion on the one
 * JavaScript thread.
 */
export class Pkcs11Kms implements Kms {
  readonly #library: Pkcs11Library;
  readonly #binding: Pkcs11Binding;
  readonly #options: Pkcs11KmsOptions;
  #session: Handle | null = null;
  #tokenLabel = "";
  /** Oldest first; null after the session was lost, since object handles do not outlive the login. */
  #versions: KeyVersion[] | null = null;
  #keyId = "";
  #closed = false;

  /**
   * Opens one logged-in session to the token, and generates the first master key version in it when the token
   * holds none under this label. Throws KMS_UNAVAILABLE when the module, the token or the login fails.
   */
  static open(options: Pkcs11KmsOptions): Pkcs11Kms {
    const kms = new Pkcs11Kms(acquirePkcs11Library(options.modulePath), options);
    try {
      kms.#run("read the master key versions", (session) => {
        if (kms.#listVersions(session).length === 0) kms.#generateVersion(session);
      });
      return kms;
    } catch (error) {
      kms.close();
      throw error;
    }
  }

  private constructor(library: Pkcs11Library, options: Pkcs11KmsOptions) {
    this.#library = library;
    this.#binding = library.binding;
    this.#options = Object.freeze({ ...options });
  }

  get keyId(): string {
    return this.#keyId;
  }

  /** `pkcs11:<token label>/<key label>/v`: every version's keyId is this and its number. */
  get #keyIdPrefix(): string {
    return `pkcs11:${this.#tokenLabel}/${this.#options.keyLabel}/v`;
  }

  async generateDataKey(context: string): Promise<DataKey> {
    const plaintext = randomBytes(DATA_KEY_BYTES);
    const { wrapped, keyId } = this.#run("wrap a data key", (session) => {
      // Listed again: another process may have made a newer version current.
      const current = this.#current(this.#listVersions(session));
      return { wrapped: this.#encrypt(session, current.handle, plaintext, context), keyId: current.keyId };
    });
    return { plaintext, wrapped, keyId };
  }

  async unwrapDataKey(wrapped: Buffer, context: string, keyId?: string): Promise<Buffer> {
    return this.#run("unwrap a data key", (session) => {
      const version = this.#version(session, keyId);
      return this.#decrypt(session, version.handle, wrapped, context);
    });
  }

  async rewrapDataKey(wrapped: Buffer, context: string, keyId: string): Promise<RewrappedDataKey> {
    return this.#run("rewrap a data key", (session) => {
      const from = this.#version(session, keyId);
      const plaintext = this.#decrypt(session, from.handle, wrapped, context);
      try {
        const current = this.#current(this.#listVersions(session));
        return { wrapped: this.#encrypt(session, current.handle, plaintext, context), keyId: current.keyId };
      } finally {
        plaintext.fill(0);
      }
    });
  }

  async keyVersions(): Promise<KmsKeyVersion[]> {
    return this.#run("list the master key versions", (session) => {
      const versions = this.#listVersions(session);
      const current = this.#current(versions).keyId;
      return versions.map(({ keyId }) => ({ keyId, current: keyId === current }));
    });
  }

  async createKeyVersion(): Promise<string> {
    return this.#run("make a new master key version", (session) => {
      this.#generateVersion(session);
      return this.#keyId;
    });
  }

  async retireKeyVersion(keyId: string): Promise<void> {
    this.#run("retire a master key version", (session) => {
      const versions = this.#listVersions(session);
      if (keyId === this.#current(versions).keyId) {
        throw new KeywardError("CONFLICT", "The current master key version cannot be retired.");
      }
      const retired = versions.filter((v) => v.keyId === keyId);
      if (retired.length === 0) throw new KeywardError("NOT_FOUND", `No master key version ${keyId}.`);
      for (const version of retired) this.#library.pkcs11.C_DestroyObject(session, version.handle);
      this.#listVersions(session);
    });
  }

  /** Closes the session (which logs out once it was this process's last) and releases the module. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#dropSession();
    this.#library.release();
  }

  /**
   * Runs `work` in the session, opening and logging in first when there is none. When the token lost the session
   * or its login (an HSM restart, a network HSM reconnecting), opens a new one and tries once more; a key handle
   * that went stale (another process retired the version) is looked up again the same way. PKCS#11 failures
   * become KMS_UNAVAILABLE naming the CKR_ value and the action; KeywardErrors pass through.
   */
  #run<T>(action: string, work: (session: Handle) => T): T {
    if (this.#closed)
      throw new KeywardError("KMS_UNAVAILABLE", `The PKCS#11 KMS is closed; cannot ${action}.`);
    for (let attempt = 1; ; attempt++) {
      try {
        return work(this.#session ?? this.#connect());
      } catch (error) {
        if (error instanceof KeywardError) throw error;
        const returnValue = returnValueOf(this.#binding, error);
        const stale = returnValue !== null && this.#isStale(returnValue);
        if (stale && attempt === 1) {
          this.#dropSession();
          continue;
        }
        throw new KeywardError(
          "KMS_UNAVAILABLE",
          `The PKCS#11 token ${this.#describeToken()} failed to ${action} (${returnValueName(error)}).`,
          { cause: error, retryable: stale },
        );
      }
    }
  }

  /** Return values after which a new session (and fresh key handles) may succeed where this one failed. */
  #isStale(returnValue: number): boolean {
    const b = this.#binding;
    return [
      b.CKR_SESSION_HANDLE_INVALID,
      b.CKR_SESSION_CLOSED,
      b.CKR_USER_NOT_LOGGED_IN,
      b.CKR_DEVICE_REMOVED,
      b.CKR_TOKEN_NOT_PRESENT,
      b.CKR_DEVICE_ERROR,
      b.CKR_OBJECT_HANDLE_INVALID,
      b.CKR_KEY_HANDLE_INVALID,
      // A failure between C_*Init and C_* (which always ends the operation) would leave one active for good.
      b.CKR_OPERATION_ACTIVE,
    ].includes(returnValue);
  }

  #connect(): Handle {
    const { pkcs11, binding } = this.#library;
    const slot = this.#findSlot();
    let session: Handle;
    try {
      session = pkcs11.C_OpenSession(slot, binding.CKF_SERIAL_SESSION | binding.CKF_RW_SESSION);
    } catch (cause) {
      throw new KeywardError(
        "KMS_UNAVAILABLE",
        `No session could be opened with the PKCS#11 token ${this.#describeToken()} (${returnValueName(cause)}).`,
        { cause, retryable: true },
      );
    }
    try {
      pkcs11.C_Login(session, binding.CKU_USER, this.#options.pin);
    } catch (cause) {
      // The login is shared by every session this process has with the token.
      if (returnValueOf(binding, cause) !== binding.CKR_USER_ALREADY_LOGGED_IN) {
        closeQuietly(() => pkcs11.C_CloseSession(session));
        throw loginFailed(this.#describeToken(), cause, binding);
      }
    }
    this.#session = session;
    return session;
  }

  /** The slot holding the configured token; its label becomes part of every keyId. */
  #findSlot(): Handle {
    const { pkcs11 } = this.#library;
    const { token } = this.#options;
    let slots: { slot: Handle; label: string }[];
    try {
      // Token labels are padded with spaces to 32 bytes.
      slots = pkcs11
        .C_GetSlotList(true)
        .map((slot) => ({ slot, label: pkcs11.C_GetTokenInfo(slot).label.replace(/[\s\0]+$/, "") }));
    } catch (cause) {
      throw new KeywardError(
        "KMS_UNAVAILABLE",
        `The PKCS#11 module ${this.#options.modulePath} could not list its tokens (${returnValueName(cause)}).`,
        { cause, retryable: true },
      );
    }
    const matching =
      "label" in token
        ? slots.filter((s) => s.label === token.label)
        : slots.filter((s) => slotNumber(s.slot) === token.slot);
    const [found, second] = matching;
    if (found === undefined || second !== undefined) {
      const problem =
        found === undefined
          ? `has no token ${this.#describeToken()}`
          : `has several tokens labelled "${"label" in token ? token.label : ""}": choose one with KEYWARD_PKCS11_SLOT`;
      throw new KeywardError("KMS_UNAVAILABLE", `The PKCS#11 module ${this.#options.modulePath} ${problem}.`);
    }
    this.#tokenLabel = found.label;
    return found.slot;
  }

  #describeToken(): string {
    const { token } = this.#options;
    return "label" in token ? `labelled "${token.label}"` : `in slot ${token.slot}`;
  }

  /** Closes the session, if any, ignoring the token's answer: it is being given up either way. */
  #dropSession(): void {
    const session = this.#session;
    this.#session = null;
    this.#versions = null;
    if (session !== null) closeQuietly(() => this.#library.pkcs11.C_CloseSession(session));
  }

  /** Reads the versions from the token (oldest first) and remembers them, and the current keyId. */
  #listVersions(session: Handle): KeyVersion[] {
    const byVersion = new Map<number, KeyVersion>();
    for (const { handle, objectId } of this.#findKeyObjects(session)) {
      const version = versionOf(objectId);
      const seen = byVersion.get(version);
      // Two objects of one version exist only while two processes make it at once (see #generateVersion), for
      // the span of two token calls; meanwhile every reader picks the same one, the lower CKA_ID.
      if (seen !== undefined && Buffer.compare(seen.objectId, objectId) <= 0) continue;
      byVersion.set(version, { version, keyId: `${this.#keyIdPrefix}${version}`, objectId, handle });
    }
    const versions = [...byVersion.values()].sort((a, b) => a.version - b.version);
    this.#versions = versions;
    this.#keyId = versions.at(-1)?.keyId ?? "";
    return versions;
  }

  /** Every key object under this label with a CKA_ID of ours, duplicates of one version included. */
  #findKeyObjects(session: Handle): { handle: Handle; objectId: Buffer }[] {
    const { pkcs11, binding } = this.#library;
    // Only keys that were generated in the token and never left it: a key planted under this label (imported,
    // or extractable) is never taken for a version, so it can never become current and wrap data keys.
    pkcs11.C_FindObjectsInit(session, [
      { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
      { type: binding.CKA_KEY_TYPE, value: binding.CKK_AES },
      { type: binding.CKA_LABEL, value: this.#options.keyLabel },
      { type: binding.CKA_TOKEN, value: true },
      { type: binding.CKA_SENSITIVE, value: true },
      { type: binding.CKA_ALWAYS_SENSITIVE, value: true },
      { type: binding.CKA_EXTRACTABLE, value: false },
      { type: binding.CKA_NEVER_EXTRACTABLE, value: true },
    ]);
    const handles: Handle[] = [];
    try {
      for (let batch = pkcs11.C_FindObjects(session, 64); batch.length > 0; ) {
        handles.push(...batch);
        batch = pkcs11.C_FindObjects(session, 64);
      }
    } finally {
      pkcs11.C_FindObjectsFinal(session);
    }
    const found: { handle: Handle; objectId: Buffer }[] = [];
    for (const handle of handles) {
      const objectId = pkcs11.C_GetAttributeValue(session, handle, [{ type: binding.CKA_ID }])[0]?.value;
      // Another application's object under the same label is not a version of ours.
      if (
        Buffer.isBuffer(objectId) &&
        objectId.length === OBJECT_ID_BYTES &&
        objectId.subarray(0, OBJECT_ID_MARKER.length).equals(OBJECT_ID_MARKER)
      )
        found.push({ handle, objectId });
    }
    return found;
  }

  #current(versions: KeyVersion[]): KeyVersion {
    const current = versions.at(-1);
    if (current === undefined) {
      throw new KeywardError(
        "KMS_UNAVAILABLE",
        `The PKCS#11 token ${this.#describeToken()} holds no master key labelled "${this.#options.keyLabel}" any more.`,
      );
    }
    return current;
  }

  /** The version `keyId` names (the current one when absent), listing again when it is not known yet. */
  #version(session: Handle, keyId: string | undefined): KeyVersion {
    const find = (versions: KeyVersion[]): KeyVersion | undefined =>
      keyId === undefined ? versions.at(-1) : versions.find((v) => v.keyId === keyId);
    const found = find(this.#versions ?? []) ?? find(this.#listVersions(session));
    if (found === undefined) {
      throw new KeywardError(
        "DECRYPTION_FAILED",
        `The data was sealed under master key version ${keyId}, which this Keyward does not hold.`,
      );
    }
    return found;
  }

  /**
   * Generates the next version inside the token, sensitive and not extractable. Two processes making the same
   * version at once would each use their own key; so the maker looks again right after, and when another object
   * of that version exists it destroys its own and adopts the other: an object its maker once saw alone is never
   * destroyed, so at most one survives. (If both yield, the loop makes the version again.)
   */
  #generateVersion(session: Handle): void {
    const { pkcs11, binding } = this.#library;
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = this.#listVersions(session);
      const version = (before.at(-1)?.version ?? 0) + 1;
      const versionBytes = Buffer.alloc(4);
      versionBytes.writeUInt32BE(version, 0);
      const objectId = Buffer.concat([OBJECT_ID_MARKER, versionBytes, randomBytes(8)]);
      const handle = pkcs11.C_GenerateKey(
        session,
        { mechanism: binding.CKM_AES_KEY_GEN },
        this.#keyTemplate(objectId),
      );
      const rivals = this.#findKeyObjects(session).filter(
        (o) => versionOf(o.objectId) === version && !o.objectId.equals(objectId),
      );
      if (rivals.length > 0) pkcs11.C_DestroyObject(session, handle);
      const after = this.#listVersions(session);
      if ((after.at(-1)?.version ?? 0) >= version) return;
    }
    throw new KeywardError(
      "KMS_UNAVAILABLE",
      "A new master key version could not be made: other processes kept making one at the same time.",
      { retryable: true },
    );
  }

  #keyTemplate(objectId: Buffer): Attribute[] {
    const b = this.#binding;
    return [
      { type: b.CKA_CLASS, value: b.CKO_SECRET_KEY },
      { type: b.CKA_KEY_TYPE, value: b.CKK_AES },
      { type: b.CKA_VALUE_LEN, value: 32 },
      { type: b.CKA_LABEL, value: this.#options.keyLabel },
      { type: b.CKA_ID, value: objectId },
      // Kept in the token, readable only after login, never in plaintext outside it, never wrapped out of it.
      { type: b.CKA_TOKEN, value: true },
      { type: b.CKA_PRIVATE, value: true },
      { type: b.CKA_SENSITIVE, value: true },
      { type: b.CKA_EXTRACTABLE, value: false },
      { type: b.CKA_MODIFIABLE, value: false },
      // Only what wrapping data keys by encryption needs.
      { type: b.CKA_ENCRYPT, value: true },
      { type: b.CKA_DECRYPT, value: true },
      { type: b.CKA_WRAP, value: false },
      { type: b.CKA_UNWRAP, value: false },
      { type: b.CKA_SIGN, value: false },
      { type: b.CKA_VERIFY, value: false },
      { type: b.CKA_DERIVE, value: false },
    ];
  }

  /** AES-256-GCM under a fresh 96-bit IV with the context as AAD, as LocalKms does: `iv || ciphertext || tag`. */
  #gcm(iv: Buffer, context: string): Mechanism {
    const parameter: AesGCM = {
      type: this.#binding.CK_PARAMS_AES_GCM,
      iv,
      aad: Buffer.from(`keyward-dek:${context}`, "utf8"),
      ivBits: IV_BYTES * 8,
      tagBits: TAG_BYTES * 8,
    };
    return { mechanism: this.#binding.CKM_AES_GCM, parameter };
  }

  #encrypt(session: Handle, key: Handle, plaintext: Buffer, context: string): Buffer {
    const { pkcs11 } = this.#library;
    const iv = randomBytes(IV_BYTES);
    pkcs11.C_EncryptInit(session, this.#gcm(iv, context), key);
    const sealed = pkcs11.C_Encrypt(session, plaintext, Buffer.alloc(plaintext.length + TAG_BYTES));
    return Buffer.concat([iv, sealed]);
  }

  /**
   * Decrypts in the token; any failure to authenticate (wrong key, context or bytes: SoftHSM2 says
   * CKR_GENERAL_ERROR, others CKR_ENCRYPTED_DATA_INVALID) is DECRYPTION_FAILED, while a lost session still
   * propagates to {@link #run} to be opened again.
   */
  #decrypt(session: Handle, key: Handle, wrapped: Buffer, context: string): Buffer {
    if (wrapped.length !== WRAPPED_BYTES) throw new KeywardError("DECRYPTION_FAILED");
    const { pkcs11 } = this.#library;
    const iv = wrapped.subarray(0, IV_BYTES);
    pkcs11.C_DecryptInit(session, this.#gcm(Buffer.from(iv), context), key);
    let plaintext: Buffer;
    try {
      plaintext = pkcs11.C_Decrypt(session, wrapped.subarray(IV_BYTES), Buffer.alloc(WRAPPED_BYTES));
    } catch (cause) {
      const returnValue = returnValueOf(this.#binding, cause);
      if (returnValue !== null && this.#isStale(returnValue)) throw cause;
      throw new KeywardError("DECRYPTION_FAILED", undefined, { cause });
    }
    if (plaintext.length !== DATA_KEY_BYTES) {
      plaintext.fill(0);
      throw new KeywardError("DECRYPTION_FAILED");
    }
    // A copy the caller owns outright (pkcs11js returns a view of the output buffer).
    const copy = Buffer.from(plaintext);
    plaintext.fill(0);
    return copy;
  }
}

function versionOf(objectId: Buffer): number {
  return objectId.readUInt32BE(OBJECT_ID_MARKER.length);
}

/** A slot handle (a CK_ULONG in the platform's byte order) as a number, to compare with KEYWARD_PKCS11_SLOT. */
function slotNumber(slot: Handle): number {
  return Number(slot.length >= 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0)));
}

function loginFailed(token: string, cause: unknown, binding: Pkcs11Binding): KeywardError {
  const returnValue = returnValueOf(binding, cause);
  const refused = [binding.CKR_PIN_INCORRECT, binding.CKR_PIN_LOCKED, binding.CKR_PIN_EXPIRED].includes(
    returnValue ?? -1,
  );
  return new KeywardError(
    "KMS_UNAVAILABLE",
    refused
      ? `The PKCS#11 token ${token} refused the PIN (${returnValueName(cause)}): check KEYWARD_PKCS11_PIN_FILE or KEYWARD_PKCS11_PIN.`
      : `Logging in to the PKCS#11 token ${token} failed (${returnValueName(cause)}).`,
    { cause, retryable: !refused },
  );
}

function closeQuietly(close: () => void): void {
  try {
    close();
  } catch {
    // Already closed, or the token is gone: there is nothing left to release.
  }
}
