/**
 * The program's first import (index.ts): before any other module of the program resolves,
 * the project's loader takes over the sources and checks what could preload, swap or shadow
 * them (kernel/load-sources.cjs). Under the Pulumi CLI a refusal is a RunError, which the CLI
 * shows without a stack trace; in coop's process the loader already started and this does nothing.
 */
"use strict";
const path = require("node:path");

const loader = require("./load-sources.cjs");
try {
  loader.start(path.resolve(__dirname, ".."));
} catch (e) {
  if (!(e instanceof loader.CodeBoundaryError)) throw e;
  const { RunError } = require("@pulumi/pulumi");
  throw new RunError(e.message);
}
