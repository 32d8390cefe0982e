import type { ErrorCode } from "@keyward/core/error-catalogue.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { expect } from "vitest";

/**
 * Runs `action` (a promise, or a function that throws or rejects) and returns the KeywardError it fails with;
 * the test fails when it succeeds, fails with another error type, or with another code.
 */
export async function expectKeywardError(
  action: Promise<unknown> | (() => unknown),
  code: ErrorCode,
): Promise<KeywardError> {
  let failure: unknown;
  let failed = false;
  try {
    await (typeof action === "function" ? action() : action);
  } catch (error) {
    failure = error;
    failed = true;
  }
  expect(failed, `expected a KeywardError with code ${code}, but nothing was thrown`).toBe(true);
  expect(failure).toBeInstanceOf(KeywardError);
  expect((failure as KeywardError).code).toBe(code);
  return failure as KeywardError;
}
