// @ts-check
/** Which screen a path shows: the start page, a room, or a room's projector view. */

/**
 * @typedef {{name: "start", roomId?: string} | {name: "room" | "present", roomId: string}} Route
 */

/**
 * {name: "start"} | {name: "room", roomId} | {name: "present", roomId} for a location path.
 * @param {string} pathname
 * @returns {Route}
 */
export function parseRoute(pathname) {
  const parts = pathname.split("/").filter((part) => part !== "");
  if (parts.length === 0) return { name: "start" };
  let roomId;
  try {
    roomId = decodeURIComponent(parts[0]);
  } catch {
    return { name: "start" };
  }
  if (parts.length === 2 && parts[1] === "present") return { name: "present", roomId };
  if (parts.length === 1) return { name: "room", roomId };
  return { name: "start", roomId };
}

/**
 * Path of a room page, or of its projector view.
 * @param {string} roomId
 */
export function roomPath(roomId, present = false) {
  return `/${encodeURIComponent(roomId)}${present ? "/present" : ""}`;
}

/**
 * The host key carried by a host link's fragment (`#host=KEY`), or null.
 * @param {string} hash
 */
export function hostKeyFromHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const key = params.get("host");
  return key ? key : null;
}
