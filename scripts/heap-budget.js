// How much JavaScript heap a command that evaluates a whole stack (npm run plan) gets: left alone, Node lets
// the heap grow far past what is live before it collects (a 200-function stack's plan peaked at 1.1 GB of
// memory with about 550 MB live). Measured here: about 60 MB live for the stack's own parts and 1.9 MB a
// function (each twin counted: its image, role, log group, alarms, rollout, and the Pulumi engine's record
// of each). The budget is that, with the headroom that keeps collections cheap (x 1.45), never under 512 MB.
"use strict";
const { existsSync, readFileSync } = require("node:fs");

const BASE_MB = 100;
const PER_FUNCTION_MB = 2.75;
const MINIMUM_MB = 512;
/** The app's functions (app/functions.ts), which every stack has: a count, not the list, so no TypeScript loads here. */
const APP_FUNCTIONS = 10;

/** The heap, in MB, for evaluating the stack file `file`: its functions (twins counted) at PER_FUNCTION_MB over BASE_MB, at least MINIMUM_MB. */
function heapBudgetMb(file) {
  let own = {};
  try {
    own = (existsSync(file) && require("yaml").parse(readFileSync(file, "utf8"))?.config?.["graviton-platform:ownImageFunctions"]) || {};
  } catch {
    // A stack file that does not parse is reported by the command itself, with its reason.
  }
  const functions = Object.values(typeof own === "object" ? own : {}).reduce(
    (sum, fn) => sum + (fn?.compareArchitectures ? 2 : 1),
    APP_FUNCTIONS,
  );
  return Math.max(MINIMUM_MB, Math.ceil(BASE_MB + PER_FUNCTION_MB * functions));
}

/**
 * Node's flags for that heap, and a young generation of 32 MB (Node's default is 16): most of what a plan
 * allocates dies young, and a larger nursery cut a 200-function plan's time by a tenth here.
 */
const heapFlags = (file) => [`--max-old-space-size=${heapBudgetMb(file)}`, "--max-semi-space-size=32"];

module.exports = { heapBudgetMb, heapFlags };
