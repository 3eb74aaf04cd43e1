import test from "node:test";
import assert from "node:assert/strict";
import { makeApi, exportUrl, qrUrl } from "../../src/liveqa/web/api.js";
import { hostApi } from "../../src/liveqa/web/hostapi.js";

function fakeFetch(status, body, calls = []) {
  return async (url, init) => {
    calls.push({ url, init });
    return {
      ok: status >= 200 && status < 300,
      status,
      json: async () => {
        if (body === undefined) throw new SyntaxError("no JSON");
        return body;
      },
    };
  };
}

test("requests send JSON to the right path and return the answer", async () => {
  const calls = [];
  const api = makeApi(fakeFetch(201, { room: { roomId: "a b" } }, calls));
  const created = await api.createRoom("a b", "Name", "#038cfc");
  assert.equal(created.room.roomId, "a b");
  assert.equal(calls[0].url, "/api/rooms");
  assert.equal(calls[0].init.method, "POST");
  assert.deepEqual(JSON.parse(calls[0].init.body), { roomId: "a b", displayName: "Name", themeColor: "#038cfc" });
  await api.room("a b");
  assert.equal(calls[1].url, "/api/rooms/a%20b");
  assert.equal(calls[1].init.body, undefined);
});

test("every change carries the header only the app's own pages can send", async () => {
  const calls = [];
  const api = makeApi(fakeFetch(200, {}, calls));
  await api.session();
  await hostApi(api, "town-hall").rotate();
  await hostApi(api, "town-hall").removeHost("p1");
  await api.rename("Ada");
  await api.room("town-hall");
  assert.deepEqual(
    calls.map(({ init }) => [init.method, init.headers["X-LiveQA"]]),
    [["POST", "1"], ["POST", "1"], ["DELETE", "1"], ["PATCH", "1"], ["GET", undefined]],
  );
});

test("errors carry the server's status, code and words", async () => {
  const api = makeApi(fakeFetch(403, { error: { code: "wrong_host_key", message: "wrong host key" } }));
  await assert.rejects(api.becomeHost("demo", "nope"), (error) => {
    assert.equal(error.status, 403);
    assert.equal(error.code, "wrong_host_key");
    assert.equal(error.message, "wrong host key");
    return true;
  });
});

test("an error without a JSON body still says what happened", async () => {
  const api = makeApi(fakeFetch(502, undefined));
  await assert.rejects(api.session(), (error) => error.status === 502 && /502/.test(error.message));
});

test("an unreachable server is reported as offline", async () => {
  const api = makeApi(async () => {
    throw new TypeError("Failed to fetch");
  });
  await assert.rejects(api.rename("x"), (error) => error.status === 0 && error.code === "offline");
});

test("export and QR addresses", () => {
  assert.equal(exportUrl("demo", "csv"), "/api/rooms/demo/export.csv");
  assert.equal(qrUrl("demo"), "/api/rooms/demo/qr.svg");
});

test("host calls go to the room's host endpoints", async () => {
  const calls = [];
  const host = hostApi(makeApi(fakeFetch(200, {}, calls)), "a b");
  await host.hostKey();
  await host.rotate();
  await host.rotate(true);
  await host.hosts();
  await host.removeHost("x/y");
  assert.deepEqual(
    calls.map((call) => [call.init.method, call.url, call.init.body]),
    [
      ["GET", "/api/rooms/a%20b/host-key", undefined],
      ["POST", "/api/rooms/a%20b/host-key", '{"keepCohosts":false}'],
      ["POST", "/api/rooms/a%20b/host-key", '{"keepCohosts":true}'],
      ["GET", "/api/rooms/a%20b/hosts", undefined],
      ["DELETE", "/api/rooms/a%20b/hosts/x%2Fy", undefined],
    ],
  );
});
