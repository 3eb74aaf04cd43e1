import test from "node:test";
import assert from "node:assert/strict";
import { relativeTime } from "../../src/liveqa/web/reltime.js";

const now = Date.parse("2024-05-01T12:00:00.000Z");
const ago = (seconds) => relativeTime(now - seconds * 1000, now);

test("recent moments read as just now, also when the server clock is ahead", () => {
  assert.equal(ago(0), "just now");
  assert.equal(ago(9), "just now");
  assert.equal(ago(-30), "just now");
});

test("units are singular for one and plural otherwise", () => {
  assert.equal(ago(10), "10 seconds ago");
  assert.equal(ago(59), "59 seconds ago");
  assert.equal(ago(60), "1 minute ago");
  assert.equal(ago(150), "2 minutes ago");
  assert.equal(ago(3600), "1 hour ago");
  assert.equal(ago(5 * 3600 + 59), "5 hours ago");
  assert.equal(ago(24 * 3600), "1 day ago");
  assert.equal(ago(45 * 24 * 3600), "1 month ago");
  assert.equal(ago(800 * 24 * 3600), "2 years ago");
});
