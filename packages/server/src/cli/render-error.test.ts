import { KeywardApiError } from "@keyward/client/keyward-api-error.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { renderError } from "./render-error.js";

describe("renderError()", () => {
  it("renders an API problem as one line with its code and exit 1", () => {
    const error = new KeywardApiError({
      status: 404,
      code: "NOT_FOUND",
      detail: "No key has this id.",
      requestId: "req_1",
    });
    expect(renderError(error, { debug: false })).toEqual({
      text: "error: NOT_FOUND: No key has this id.\n",
      exitCode: 1,
    });
  });

  it("names the request id of a server failure", () => {
    const error = new KeywardApiError({
      status: 500,
      code: "INTERNAL_ERROR",
      detail: "Boom.",
      requestId: "req_9",
    });
    expect(renderError(error, { debug: false }).text).toBe("error: INTERNAL_ERROR: Boom. (request req_9)\n");
  });

  it("renders a KeywardError with its code", () => {
    const error = new KeywardError("CONFIG_INVALID", "KEYWARD_PORT must be an integer.");
    expect(renderError(error, { debug: false })).toEqual({
      text: "error: CONFIG_INVALID: KEYWARD_PORT must be an integer.\n",
      exitCode: 1,
    });
  });

  it("renders a usage error on one line with exit 2", () => {
    const error = new CommanderError(
      1,
      "commander.unknownCommand",
      "error: unknown command 'frob'\n(Did you mean keys?)",
    );
    expect(renderError(error, { debug: false })).toEqual({
      text: "error: USAGE_ERROR: unknown command 'frob' (Did you mean keys?) (see --help)\n",
      exitCode: 2,
    });
  });

  it("treats help and version as success", () => {
    expect(
      renderError(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"), { debug: false }),
    ).toEqual({
      text: "",
      exitCode: 0,
    });
    expect(renderError(new CommanderError(0, "commander.version", "0.1.0"), { debug: false }).exitCode).toBe(
      0,
    );
    expect(
      renderError(new CommanderError(1, "commander.help", "(outputHelp)"), { debug: false }).exitCode,
    ).toBe(2);
  });

  it("renders a system error with its errno code and no stack", () => {
    const error = Object.assign(new Error("listen EADDRINUSE: address already in use 127.0.0.1:8080"), {
      code: "EADDRINUSE",
    });
    expect(renderError(error, { debug: false }).text).toBe(
      "error: EADDRINUSE: listen EADDRINUSE: address already in use 127.0.0.1:8080\n",
    );
  });

  it("shows the stack of an unexpected error only in debug mode", () => {
    const error = new TypeError("x is undefined");
    expect(renderError(error, { debug: false }).text).toBe(
      "error: INTERNAL_ERROR: x is undefined (set KEYWARD_DEBUG=1 for the stack)\n",
    );
    expect(renderError(error, { debug: true }).text).toContain("at ");
  });
});
