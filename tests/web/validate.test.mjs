import test from "node:test";
import assert from "node:assert/strict";
import { normalizeRoomId, roomIdProblems, textProblem, LIMITS } from "../../src/liveqa/web/validate.js";

test("room ids following the rule pass, at both length limits", () => {
  for (const id of ["abc", "room-1", "a.b_c-d", "abcdefghijklmnop"]) assert.deepEqual(roomIdProblems(id), [], id);
});

test("each broken rule is named, all of them at once", () => {
  assert.deepEqual(roomIdProblems("ab"), ["Room ID must be 3-16 characters long."]);
  assert.deepEqual(roomIdProblems("abcdefghijklmnopq"), ["Room ID must be 3-16 characters long."]);
  assert.deepEqual(roomIdProblems("1room-"), [
    "Room ID must start with a letter.",
    "Room ID must end with a letter or number.",
  ]);
  assert.equal(roomIdProblems("My Room").length, 2);
  assert.deepEqual(roomIdProblems(""), ["Enter a room ID."]);
});

test("ids the server routes itself are refused", () => {
  assert.match(roomIdProblems("api")[0], /reserved/);
  assert.match(roomIdProblems("static")[0], /reserved/);
  assert.match(roomIdProblems("main.js")[0], /reserved/);
});

test("room ids are trimmed and lower-cased", () => {
  assert.equal(normalizeRoomId("  My-Room "), "my-room");
});

test("texts must be non-blank and within limits, counting code points", () => {
  assert.equal(textProblem("  hi ", "Name", 40), null);
  assert.equal(textProblem("   ", "Name", 40), "Name must not be empty.");
  assert.equal(textProblem("😀".repeat(40), "Name", LIMITS.displayName), null);
  assert.match(textProblem("x".repeat(41), "Name", 40), /at most 40 characters \(now 41\)/);
});
