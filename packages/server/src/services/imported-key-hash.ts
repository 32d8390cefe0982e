const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]{43}=?$/;
const BASE64URL = /^[A-Za-z0-9_-]{43}=?$/;

/** Why an imported key's hash was refused. */
export const INVALID_HASH_REASON = "hash must be a SHA-256 digest, hex or base64";

/**
 * The 32 bytes of a SHA-256 digest given as 64 hex digits, or as base64 or base64url (43 characters, or 44 with
 * its `=`); null for anything else, including base64 whose unused last bits are not zero (not canonical).
 */
export function parseSha256Hash(text: string): Buffer | null {
  if (HEX.test(text)) return Buffer.from(text, "hex");
  const url = BASE64URL.test(text);
  if (!url && !BASE64.test(text)) return null;
  const bytes = Buffer.from(text, url ? "base64url" : "base64");
  const canonical = bytes.toString(url ? "base64url" : "base64").replace(/=$/, "");
  return bytes.length === 32 && canonical === text.replace(/=$/, "") ? bytes : null;
}
