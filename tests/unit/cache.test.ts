/**
 * The content-addressed cache directory helper (packages/kernel/src/cache.ts):
 * complete entries are reused, failed or interrupted fills leave nothing a
 * later run would take, and pre-marker entries are adopted only when whole.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { adoptUnmarked, cacheDirectory, cacheDirectoryAsync, COMPLETE_MARKER } from "@br-criu/cache";
import { scratchDir } from "../support/scratch";

const root = scratchDir("cache-test");

test("a cache directory is filled once, marked with the fill's record, then reused", () => {
  const dir = join(root, "once", "entry");
  let fills = 0;
  const fill = (staging: string) => {
    fills += 1;
    assert.notEqual(staging, dir, "the fill writes into a staging directory, not the entry");
    writeFileSync(join(staging, "payload"), "bytes");
    return "inputs=1";
  };
  const first = cacheDirectory(dir, fill);
  const second = cacheDirectory(dir, fill);
  assert.equal(fills, 1);
  assert.deepEqual([first.filled, second.filled], [true, false]);
  assert.equal(second.record, "inputs=1\n");
  assert.equal(readFileSync(join(dir, "payload"), "utf8"), "bytes");
  assert.deepEqual(readdirSync(join(root, "once")), ["entry"], "no staging directory is left beside it");
});

test("a failed fill leaves neither the entry nor its staging directory", async () => {
  const parent = join(root, "failing");
  const boom = (staging: string): string => {
    writeFileSync(join(staging, "half"), "half-written");
    throw new Error("build failed");
  };
  assert.throws(() => cacheDirectory(join(parent, "sync"), boom), /build failed/);
  await assert.rejects(
    cacheDirectoryAsync(join(parent, "async"), (staging) => Promise.resolve().then(() => boom(staging))),
    /build failed/,
  );
  assert.deepEqual(existsSync(parent) ? readdirSync(parent) : [], []);
});

test("a directory without the marker (an interrupted older writer) is filled again, not used", async () => {
  const dir = join(root, "unmarked");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "payload"), "stale");
  const entry = await cacheDirectoryAsync(dir, (staging) => {
    writeFileSync(join(staging, "payload"), "fresh");
    return Promise.resolve("rebuilt");
  });
  assert.equal(entry.filled, true);
  assert.equal(readFileSync(join(dir, "payload"), "utf8"), "fresh");
  assert.ok(existsSync(join(dir, COMPLETE_MARKER)));
});

test("an entry written whole before markers existed is adopted only when the check confirms it", () => {
  const whole = join(root, "adopt", "whole");
  const partial = join(root, "adopt", "partial");
  for (const dir of [whole, partial]) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config"), dir === whole ? "CONFIG_TUN=y\n" : "CONFIG_OTHER=y\n");
  }
  const sameConfig = (dir: string) => readFileSync(join(dir, "config"), "utf8") === "CONFIG_TUN=y\n";
  adoptUnmarked(whole, sameConfig, "adopted");
  adoptUnmarked(partial, sameConfig, "adopted");
  adoptUnmarked(join(root, "adopt", "missing"), sameConfig, "adopted");
  let fills = 0;
  const fill = () => `fill ${++fills}`;
  assert.equal(cacheDirectory(whole, fill).filled, false, "the confirmed entry is reused");
  assert.equal(cacheDirectory(partial, fill).filled, true, "the unconfirmed entry is built again");
  assert.equal(fills, 1);
});
