// What the client scripts share: their command line, a deadline for the whole run, and how they report.
//
// Each script prints JSON to stdout (one object per line; the last line is the summary) and, on any failure,
// a clear message to stderr and a non-zero exit, so that the Python test shows why a real client failed.

import { parseArgs } from "node:util";

/** The options of a script: `--name value` on the command line, else the environment variable given. */
export function options(spec) {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(spec).map((name) => [name, { type: "string" }])),
    strict: true,
  });
  const result = {};
  for (const [name, fallbackVariable] of Object.entries(spec)) {
    const value = values[name] ?? (fallbackVariable ? process.env[fallbackVariable] : undefined);
    if (value === undefined || value === "") {
      fail(`missing --${name}${fallbackVariable ? ` (or ${fallbackVariable} in the environment)` : ""}`);
    }
    result[name] = value;
  }
  return result;
}

/** Fail the whole run (with `progress()`'s report of what arrived so far) unless it ends within `seconds`. */
export function deadline(seconds, progress) {
  const timer = setTimeout(() => {
    fail(`no result within ${seconds}s; so far: ${JSON.stringify(progress())}`);
  }, seconds * 1000);
  return () => clearTimeout(timer);
}

/** One line of JSON on stdout; resolves once written, so that an exit right after it loses nothing. */
export function emit(value) {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(value)}\n`, resolve));
}

export function fail(message) {
  process.stderr.write(`FAILED: ${message}\n`, () => process.exit(1));
}

/** What went wrong, readable: GraphQL errors with their codes, a websocket close with its code and reason. */
export function describe(error) {
  if (Array.isArray(error)) {
    return `GraphQL errors ${JSON.stringify(error)}`;
  }
  if (error && typeof error === "object" && "code" in error && "reason" in error && !(error instanceof Error)) {
    return `websocket closed with code ${error.code}: ${error.reason || "(no reason)"}`;
  }
  if (error instanceof Error) {
    const errors = error.errors ? ` ${JSON.stringify(error.errors)}` : "";
    // Apollo's ServerError (an HTTP status other than 2xx) keeps the answer's body, which says why.
    const body = typeof error.bodyText === "string" ? `; the answer was: ${error.bodyText}` : "";
    return `${error.name}: ${error.message}${errors}${body}`;
  }
  return String(error);
}

/** Run `main`, turning any rejection into a failure with a readable message. */
export function run(main) {
  main().then(
    () => process.exit(0),
    (error) => fail(describe(error)),
  );
}
