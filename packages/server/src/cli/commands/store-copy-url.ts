import { InvalidArgumentError } from "commander";

/** A store named on the command line of `keyward store copy`. */
export type StoreUrl =
  | { kind: "sqlite"; path: string; display: string; hasPassword: false }
  | {
      kind: "postgres";
      /** What `pg` connects with: the URL without Keyward's `schema` parameter, password included. */
      connectionString: string;
      schema: string;
      /** The URL with its password masked: the only form ever printed. */
      display: string;
      hasPassword: boolean;
      /** The password's forms that could turn up in a driver message, to scrub them out. */
      secrets: string[];
    };

/** The schema name rules of `KEYWARD_DATABASE_SCHEMA` (it is interpolated into SQL). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Query parameters `pg` reads a password from. */
const PASSWORD_PARAMETERS = ["password", "sslpassword"];
const MASK = "***";

/**
 * Parses `sqlite:PATH` (relative to the working directory; `sqlite:///abs/path` works too) or a
 * `postgres://`/`postgresql://` URL with an optional `?schema=NAME` (default `public`). Errors never repeat the
 * value: it may hold a password.
 */
export function parseStoreUrl(value: string): StoreUrl {
  if (value.startsWith("sqlite:")) {
    let path = value.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2);
    if (path === "")
      throw new InvalidArgumentError("needs a file path after sqlite:, as in sqlite:./.keyward/keyward.db.");
    return { kind: "sqlite", path, display: `sqlite:${path}`, hasPassword: false };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("must be sqlite:PATH or a postgres:// or postgresql:// URL.");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new InvalidArgumentError("must be sqlite:PATH or a postgres:// or postgresql:// URL.");
  }
  const schemas = url.searchParams.getAll("schema");
  const schema = schemas[0] ?? "public";
  if (schemas.length > 1 || !SCHEMA_NAME.test(schema)) {
    throw new InvalidArgumentError(
      "must have at most one ?schema=, a lower-case identifier (letters, digits, _).",
    );
  }
  url.searchParams.delete("schema");
  const connectionString = url.href;
  const secrets: string[] = [];
  if (url.password !== "") {
    secrets.push(url.password, safeDecode(url.password));
    url.password = MASK;
  }
  for (const name of PASSWORD_PARAMETERS) {
    for (const secret of url.searchParams.getAll(name)) secrets.push(secret);
    if (url.searchParams.has(name)) url.searchParams.set(name, MASK);
  }
  if (schemas.length > 0) url.searchParams.set("schema", schema);
  return {
    kind: "postgres",
    connectionString,
    schema,
    // URL encodes the mask's asterisks in a query; show them as typed.
    display: url.href.replaceAll("%2A%2A%2A", MASK),
    hasPassword: secrets.length > 0,
    secrets: secrets.filter((s) => s !== ""),
  };
}

/** `text` with every form of the store's password replaced by `***`. */
export function scrubSecrets(store: StoreUrl, text: string): string {
  if (store.kind !== "postgres") return text;
  let scrubbed = text;
  for (const secret of store.secrets) scrubbed = scrubbed.replaceAll(secret, MASK);
  return scrubbed;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
