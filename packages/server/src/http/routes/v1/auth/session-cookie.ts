import { SESSION_COOKIE } from "../../../auth.js";

/**
 * The `Set-Cookie` value carrying a browser session: `__Host-` with `Path=/` and `Secure` pins it to this origin,
 * `HttpOnly` keeps it from scripts, `SameSite=Strict` keeps it off cross-site requests (the CSRF token covers the
 * rest). `maxAgeSeconds` 0 clears it.
 */
export function sessionCookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}
