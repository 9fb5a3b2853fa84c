/**
 * Locks between processes (packages/cache/src/lock.ts) and the cache
 * entries filled under them: one holder at a time, in one process and
 * across processes; a lock whose owner is gone is taken over; a second
 * process asking for an entry being filled waits and takes that fill.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cacheDirectory, withLock, withLockSync } from "@br-criu/cache";
import { REPO_ROOT } from "../support/project";
import { scratchDir } from "../support/scratch";

const root = scratchDir("lock-test");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A node process of the repository running `body` (CommonJS through tsx, in an async function), with its output. */
function nodeProcess(body: string) {
  const script = `(async () => {${body}})().catch((error) => { console.error(error); process.exit(1); });`;
  const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const says = async (line: string) => {
    while (!stdout.includes(line)) {
      assert.equal(child.exitCode, null, `the child exited before saying ${line}`);
      await sleep(20);
    }
  };
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { says, exited };
}

test("one holder at a time: callers in this process take turns", async () => {
  const path = join(root, "in-process", "tree");
  const events: string[] = [];
  await Promise.all(
    ["a", "b", "c"].map((name) =>
      withLock(path, async () => {
        events.push(`${name} in`);
        await sleep(30);
        events.push(`${name} out`);
      }),
    ),
  );
  assert.equal(events.length, 6);
  for (let i = 0; i < events.length; i += 2) {
    assert.equal(events[i]!.replace(" in", " out"), events[i + 1], `overlapping holders: ${events.join(", ")}`);
  }
  assert.equal(existsSync(`${path}.lock`), false, "the lock is gone when its last holder is done");
});

test("one holder at a time across processes: the second waits until the first is done", async () => {
  const path = join(root, "cross-process", "tree");
  const leftAt = join(root, "cross-process", "left-at");
  const holder = nodeProcess(`
    const { withLock } = require("@br-criu/cache");
    const { writeFileSync } = require("node:fs");
    await withLock(${JSON.stringify(path)}, async () => {
      console.log("holding");
      await new Promise((resolve) => setTimeout(resolve, 1500));
      writeFileSync(${JSON.stringify(leftAt)}, String(Date.now()));
    });
  `);
  await holder.says("holding");
  const waits: number[] = [];
  const enteredAt = await withLock(path, () => Promise.resolve(Date.now()), {
    onWait: (_lock, owner) => waits.push(owner),
  });
  assert.equal(waits.length, 1, "the waiter is told once that another process holds the lock");
  assert.ok(existsSync(leftAt), "entered before the holder left");
  assert.ok(enteredAt >= Number(readFileSync(leftAt, "utf8")));
  assert.equal(await holder.exited, 0);
});

test("a lock whose owner is no longer running is taken over; a failing holder releases it", async () => {
  const path = join(root, "stale", "tree");
  const gone = spawnSync("true").pid;
  mkdirSync(`${path}.lock`, { recursive: true });
  writeFileSync(join(`${path}.lock`, "pid"), String(gone));
  const waits: number[] = [];
  const quick = { onWait: (_lock: string, owner: number) => waits.push(owner), giveUpAfterMs: 3000 };
  assert.equal(await withLock(path, () => Promise.resolve("taken"), quick), "taken");
  assert.deepEqual(waits, [], "a dead owner is not waited for");
  await assert.rejects(
    withLock(path, async () => Promise.reject(new Error("build failed"))),
    /build failed/,
  );
  assert.equal(existsSync(`${path}.lock`), false, "a failed holder released the lock");
  assert.throws(() => withLockSync(path, () => assert.fail("sync build failed")), /sync build failed/);
  assert.equal(existsSync(`${path}.lock`), false, "a failed synchronous holder released the lock");
});

test("a waiter with a deadline fails naming the lock and the process that holds it", async () => {
  const path = join(root, "held", "tree");
  const owner = spawn("sleep", ["30"]);
  try {
    mkdirSync(`${path}.lock`, { recursive: true });
    writeFileSync(join(`${path}.lock`, "pid"), String(owner.pid));
    const deadline = { giveUpAfterMs: 700 };
    await assert.rejects(
      withLock(path, () => Promise.resolve("entered"), deadline),
      /tree\.lock: still held by process \d+/,
    );
    assert.throws(() => withLockSync(path, () => "entered", deadline), new RegExp(`held by process ${owner.pid} `));
  } finally {
    owner.kill();
  }
});

test("a cache entry being filled by another process is waited for and taken, not filled twice", async () => {
  const entry = join(root, "entry", "kernel");
  const filler = nodeProcess(`
    const { cacheDirectoryAsync } = require("@br-criu/cache");
    const { writeFileSync } = require("node:fs");
    const { join } = require("node:path");
    await cacheDirectoryAsync(${JSON.stringify(entry)}, async (staging) => {
      console.log("filling");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      writeFileSync(join(staging, "image"), "from the other process");
      return "filled there";
    });
  `);
  await filler.says("filling");
  const taken = cacheDirectory(entry, () => assert.fail("filled a second time"));
  assert.equal(taken.filled, false);
  assert.equal(taken.record, "filled there\n");
  assert.equal(readFileSync(join(entry, "image"), "utf8"), "from the other process");
  assert.equal(await filler.exited, 0);
});
