import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf, SELF } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { SecondFactorCode } from "../../../user-schemas.js";

/** POST /v1/users/me/totp/confirm: turns two-factor authentication on and returns the recovery codes, once. */
export function registerConfirmTotp(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/users/me/totp/confirm",
    {
      config: { permission: SELF, allowWithout2fa: true },
      schema: {
        tags: ["users"],
        summary: "Confirm a TOTP enrolment",
        description:
          "Any user's session; admin tokens get 403. `code` is the app's current code for the pending secret " +
          "(401 UNAUTHORIZED when wrong). Turns two-factor authentication on, counts as a fresh second factor " +
          "for this session, and returns ten single-use recovery codes: shown once, stored only hashed. 409 when " +
          "no enrolment is pending.",
        body: Type.Object(
          { code: SecondFactorCode },
          { additionalProperties: false, examples: [{ code: "492039" }] },
        ),
        response: {
          200: Type.Object(
            {
              recoveryCodes: Type.Array(Type.String(), {
                description: "Ten codes, each usable once instead of a TOTP code. Keep them offline.",
              }),
            },
            {
              examples: [
                {
                  recoveryCodes: [
                    "np2j-mb9v-19y6-e5ax",
                    "jzfb-7zzk-f12m-pxdq",
                    "c7jh-30gs-be86-nr5b",
                    "hz4s-1nz4-a685-wnb9",
                    "8ceg-m6y3-g9z2-9341",
                    "ssz9-3azd-sfq0-d4kq",
                    "2rvc-yjrg-ft7g-zc51",
                    "tzdx-tj6s-cz2p-zvfb",
                    "z7dy-s358-qdr7-zp4m",
                    "ca9x-3wpd-3dp1-vth0",
                  ],
                },
              ],
            },
          ),
          ...problems(409, 413, 415, 503),
        },
      },
    },
    async (request) => deps.auth.confirmTotp(principalOf(request), request.body.code),
  );
}
