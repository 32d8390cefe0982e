import type { KeyImportStatus } from "../store/key-import-records.js";

/**
 * What this node knows of imported keys, so verification looks them up only when there can be some: plaintexts
 * in another system's format once any import was recorded, and the SHA-256 fallback while imported keys still
 * wait for their first verification. Read from the store at start and on the pepper refresh timer; set at once
 * by an import on this node and by another node's key announcement (an import announces its keys), and on an
 * invalidation gap, since an announcement may have been missed. A conservative state costs one indexed read per
 * key that is not found, until the next refresh.
 */
export class KeyImportWatch {
  /** None until the first refresh, which the composition root (openInstance) awaits before serving. */
  #status: KeyImportStatus = { migrations: false, pending: false };
  /** Bumped by every note: a refresh that read the store before it must not overwrite it. */
  #notes = 0;
  readonly #read: () => Promise<KeyImportStatus>;

  constructor(read: () => Promise<KeyImportStatus>) {
    this.#read = read;
  }

  /** Whether plaintexts that are not Keyward keys may be imported keys (some import was recorded). */
  get migrations(): boolean {
    return this.#status.migrations;
  }

  /** Whether imported keys may still be stored under their SHA-256. */
  get pending(): boolean {
    return this.#status.pending;
  }

  /** Keys may have been imported just now (here or on another node). */
  note(): void {
    this.#notes += 1;
    this.#status = { migrations: true, pending: true };
  }

  /** Reads the store's state; a note made while reading wins over what was read. */
  async refresh(): Promise<void> {
    const notes = this.#notes;
    const status = await this.#read();
    if (notes === this.#notes) this.#status = status;
  }
}
