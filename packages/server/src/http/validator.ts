import { Ajv, type Options } from "ajv";
import addFormatsModule, { type FormatsPlugin } from "ajv-formats";
import type { FastifySchema, FastifySchemaCompiler } from "fastify";

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives wrapped once more.
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

const COMMON: Options = {
  allErrors: true,
  strict: true,
  // OpenAPI annotations that are not validation keywords.
  keywords: ["example"],
  useDefaults: true,
};

/**
 * Bodies are validated strictly (no type coercion, unknown fields refused, so a typo is an error and not a
 * silently ignored field); query strings and path parameters arrive as text and are coerced.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const strictBody = createBodyAjv();
  const coercing = new Ajv({ ...COMMON, coerceTypes: "array", removeAdditional: false });
  addFormats(coercing);
  return ({ schema, httpPart }) => {
    const ajv = httpPart === "body" ? strictBody : coercing;
    return ajv.compile(schema as object);
  };
}

/** The Ajv that validates request bodies: no coercion, unknown fields refused, formats checked. */
export function createBodyAjv(): Ajv {
  const ajv = new Ajv({ ...COMMON, coerceTypes: false, removeAdditional: false });
  addFormats(ajv);
  return ajv;
}
