import test from "node:test";
import assert from "node:assert/strict";
import { parseRoute, roomPath, hostKeyFromHash } from "../../src/liveqa/web/router.js";

test("paths map to screens", () => {
  assert.deepEqual(parseRoute("/"), { name: "start" });
  assert.deepEqual(parseRoute("/my-room"), { name: "room", roomId: "my-room" });
  assert.deepEqual(parseRoute("/my-room/"), { name: "room", roomId: "my-room" });
  assert.deepEqual(parseRoute("/my-room/present"), { name: "present", roomId: "my-room" });
  assert.equal(parseRoute("/a/b/c").name, "start");
  assert.deepEqual(parseRoute("/%E0%A4%A"), { name: "start" });
});

test("room paths are encoded", () => {
  assert.equal(roomPath("abc"), "/abc");
  assert.equal(roomPath("abc", true), "/abc/present");
  assert.equal(roomPath("a/b"), "/a%2Fb");
});

test("host keys come from the fragment", () => {
  assert.equal(hostKeyFromHash("#host=abc-_DEF"), "abc-_DEF");
  assert.equal(hostKeyFromHash(""), null);
  assert.equal(hostKeyFromHash("#host="), null);
});
