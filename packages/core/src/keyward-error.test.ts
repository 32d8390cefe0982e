import { describe, expect, it } from "vitest";
import { invalidField, KeywardError } from "./keyward-error.js";

describe("invalidField()", () => {
  it("makes a VALIDATION_ERROR whose message and errors[] name the same field and detail", () => {
    const error = invalidField("/cursor", "must be a nextCursor value from a previous page");
    expect(error).toBeInstanceOf(KeywardError);
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.status).toBe(400);
    expect(error.message).toBe("cursor must be a nextCursor value from a previous page.");
    expect(error.errors).toEqual([
      { pointer: "/cursor", detail: "must be a nextCursor value from a previous page" },
    ]);
  });

  it("speaks of the request as a whole for the root pointer", () => {
    expect(invalidField("/", "must be an object").message).toBe("The request must be an object.");
  });
});
