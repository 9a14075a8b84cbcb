// Drives @huggingface/hub (huggingface.js) against a Hub, as a user's program would.
//
// Reads one JSON object on stdin: {"hubUrl": URL, "accessToken": TOKEN, "ops": [OP, ...]}, where
// OP is {"name": LABEL, "call": EXPORTED_FUNCTION, "args": {...}, "anonymous": false}. Each call
// gets `hubUrl` and (unless anonymous) `accessToken` added to its args, and runs in order; a
// failed call does not stop the next. In args, {"$text": "..."} becomes a Blob and
// {"$file": "/abs/path"} a file: URL (read from disk by the client).
//
// Prints one JSON object on stdout (the client's own log lines go to stderr): {LABEL: {"ok": true, "value": ...} | {"ok": false, "error": {...}}}.
// Async generators are collected into arrays, Blobs into {size, sha256, text}, Dates into ISO text.
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import * as hub from "@huggingface/hub";

// The client logs progress ("Downloading ... to ...", console.debug): every console method that
// writes to stdout is sent to stderr, so stdout holds the results alone.
for (const method of ["log", "info", "debug"]) {
  console[method] = (...args) => console.error(...args);
}

const TEXT_LIMIT = 64 * 1024; // a downloaded Blob's text is returned up to this size

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value === null || typeof value !== "object") return value;
  if ("$text" in value) return new Blob([value.$text]);
  if ("$file" in value) return pathToFileURL(value.$file);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, decode(item)]));
}

async function encode(value) {
  if (value === undefined) return null;
  if (value instanceof Blob) {
    const bytes = Buffer.from(await value.arrayBuffer());
    return {
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      text: bytes.length <= TEXT_LIMIT ? bytes.toString("utf8") : null,
    };
  }
  if (value !== null && typeof value === "object" && Symbol.asyncIterator in value) {
    const items = [];
    for await (const item of value) items.push(await encode(item));
    return items;
  }
  return JSON.parse(JSON.stringify(value));
}

function describe(error) {
  return {
    name: error?.name ?? "Error",
    message: String(error?.message ?? error) + (error?.cause ? ` (cause: ${error.cause.message ?? error.cause})` : ""),
    statusCode: error?.statusCode ?? null,
    url: error?.url ?? null,
  };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const results = {};
  for (const op of request.ops) {
    const fn = hub[op.call];
    if (typeof fn !== "function") {
      results[op.name] = {
        ok: false,
        error: { name: "NoSuchExport", message: `@huggingface/hub exports no function ${op.call}` },
      };
      continue;
    }
    const args = { ...decode(op.args ?? {}), hubUrl: request.hubUrl };
    if (!op.anonymous) args.accessToken = request.accessToken;
    try {
      results[op.name] = { ok: true, value: await encode(await fn(args)) };
    } catch (error) {
      results[op.name] = { ok: false, error: describe(error) };
    }
  }
  process.stdout.write(JSON.stringify(results));
}

await main();
