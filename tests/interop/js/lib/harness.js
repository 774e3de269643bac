'use strict';
// Shared plumbing for the interop scripts: load kurento-client the way that
// works on current Node, connect, time-box every step, and report one JSON line.
//
// Protocol: each script takes the server URL as argv[2], writes exactly one JSON
// line to stdout ({"ok": true, "script": ..., "results": {...}} on success,
// {"ok": false, "script": ..., "step": ..., "error": ...} on failure) and exits
// 0 only on success. Everything the library itself prints goes to stderr.

// kurento-client logs with console.log ("reconnect to server ...", ping notes):
// keep stdout for our single result line.
console.log = console.error.bind(console);
console.info = console.error.bind(console);
console.warn = console.error.bind(console);

// kurento-client 7.3.0's TransactionsManager calls require('domain').Domain as
// a plain function, which throws on Node >= 20 ("Class constructor Domain cannot
// be invoked without 'new'"). Without it, the library falls back to its shim.
// See shared/reference/kurento-protocol.md §4.1.
delete require('domain').Domain;

const kurentoClient = require('kurento-client');

const DEFAULT_STEP_MS = 10000;

class CheckError extends Error {}

let currentStep = 'start';
let finished = false;

function emit(line, code) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(line) + '\n', () => process.exit(code));
  // The write callback may never fire if stdout is gone; exit anyway.
  setTimeout(() => process.exit(code), 500).unref();
}

function fail(script, error) {
  const message = error && error.message ? error.message : String(error);
  const line = { ok: false, script, step: currentStep, error: message };
  if (error && error.code !== undefined) line.code = error.code;
  if (error && error.data !== undefined) line.data = error.data;
  if (error && error.stack && !(error instanceof CheckError)) {
    process.stderr.write(`${script}: ${error.stack}\n`);
  }
  emit(line, 1);
}

/** Runs `body(url)` under an overall deadline and reports the outcome. */
function run(script, body, { timeoutMs = 45000 } = {}) {
  const url = process.argv[2];
  if (!url) {
    process.stderr.write(`usage: node ${script}.js ws://HOST:PORT/kurento\n`);
    process.exit(2);
  }
  setTimeout(() => {
    fail(script, new CheckError(`overall timeout after ${timeoutMs} ms`));
  }, timeoutMs);
  process.on('unhandledRejection', (reason) => fail(script, reason));
  process.on('uncaughtException', (error) => fail(script, error));

  Promise.resolve()
    .then(() => body(url))
    .then((results) => emit({ ok: true, script, results: results || {} }, 0))
    .catch((error) => fail(script, error));
}

/**
 * Awaits `promise` as the named step, failing after `ms`. Several kurento-client
 * getters never settle when the server answers with an error, so every call
 * goes through here to turn a hang into a named failure.
 */
function step(name, promise, ms = DEFAULT_STEP_MS) {
  currentStep = name;
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckError(`step '${name}' timed out after ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(promise), deadline]).finally(() => clearTimeout(timer));
}

function check(condition, message) {
  if (!condition) throw new CheckError(`${currentStep}: ${message}`);
}

function checkEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

/**
 * Connects and waits until the client is usable (in strict mode that includes
 * its getInfo module check). Resolves to `{ client }` rather than the client:
 * the client is a thenable, and resolving a promise with it would replace it
 * with a copy that lacks the private members (such as `_re`) we need.
 */
function connect(url, options = {}) {
  return new Promise((resolve, reject) => {
    const client = kurentoClient(url, options, (error) => {
      if (error) reject(error);
      else resolve({ client });
    });
  });
}

/**
 * Calls `obj[method](...args)` in callback style and returns a promise.
 *
 * The promise forms of kurento-client's generated methods swallow server errors
 * (their default callback only logs them and then resolves with undefined), so
 * every call whose outcome matters goes through the callback form.
 */
function call(obj, method, ...args) {
  return new Promise((resolve, reject) => {
    obj[method](...args, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

/** Expects `promise` to reject with Kurento error `code`; returns the error. */
async function expectError(name, promise, code, ms = DEFAULT_STEP_MS) {
  let error = null;
  try {
    await step(name, promise, ms);
  } catch (e) {
    error = e;
  }
  currentStep = name;
  check(error !== null, `expected error ${code}, but the call succeeded`);
  check(!(error instanceof CheckError), error && error.message);
  check(error.code === code, `expected error code ${code}, got ${error.code} (${error.message})`);
  return error;
}

/** Resolves with the first `count` emissions of `event` on `emitter` passing `filter`. */
function waitForEvents(emitter, event, { count = 1, filter = () => true } = {}) {
  const seen = [];
  let onEvent;
  const promise = new Promise((resolve) => {
    onEvent = (data) => {
      if (!filter(data)) return;
      seen.push(data);
      if (seen.length === count) resolve(seen.slice());
    };
  });
  emitter.on(event, onEvent);
  return { promise, seen, listener: onEvent };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_kurento\.MediaPipeline$/;

function elementIdRe(pipelineId, type) {
  const escaped = pipelineId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_kurento\\.${type}$`);
}

module.exports = {
  CheckError,
  PIPELINE_ID_RE: ID_RE,
  call,
  check,
  checkEqual,
  connect,
  elementIdRe,
  expectError,
  kurentoClient,
  run,
  sleep,
  step,
  waitForEvents,
};
