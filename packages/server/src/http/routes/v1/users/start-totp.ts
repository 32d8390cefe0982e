import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf, SELF } from "../../../auth.js";
import { problems } from "../../../route-kit.js";

/** POST /v1/users/me/totp: starts a TOTP enrolment and returns the secret for the authenticator app, once. */
export function registerStartTotp(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/users/me/totp",
    {
      config: { permission: SELF, allowWithout2fa: true },
      schema: {
        tags: ["users"],
        summary: "Start a TOTP enrolment",
        description:
          "Any user's session; admin tokens get 403. Makes a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s) " +
          "and returns it as an otpauth:// URI for a QR code and in base32 for typing. Nothing changes until " +
          "POST /v1/users/me/totp/confirm proves the app has it; starting again replaces a pending secret. 409 " +
          "when two-factor authentication is on already (DELETE /v1/users/me/totp first).",
        response: {
          200: Type.Object(
            {
              otpauthUri: Type.String({
                description: "otpauth://totp/… for a QR code; contains the secret.",
              }),
              secret: Type.String({ description: "The same secret in base32, for typing into the app." }),
            },
            {
              examples: [
                {
                  otpauthUri:
                    "otpauth://totp/Keyward:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" +
                    "&issuer=Keyward&algorithm=SHA1&digits=6&period=30",
                  secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                },
              ],
            },
          ),
          ...problems(409, 503),
        },
      },
    },
    async (request) => deps.auth.startTotp(principalOf(request)),
  );
}
