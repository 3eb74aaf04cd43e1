/** The REST calls of a room's host settings: the owner's host key, who hosts it, deleting it. */

import { room } from "./api.js";

/** Host calls for `roomId` through `api` (from makeApi). */
export function hostApi(api, roomId) {
  const base = room(roomId);
  return {
    /** The host key, for the owner only: {hostKey, hostLink}. */
    hostKey: () => api.call("GET", `${base}/host-key`),
    /** A new host key (owner); co-hosts of the old one lose their rights unless kept: {hostKey, hostLink, revoked}. */
    rotate: (keepCohosts = false) => api.call("POST", `${base}/host-key`, { keepCohosts }),
    /** The hosts, owner first: {hosts: [{participantId, displayName, role}]}. */
    hosts: () => api.call("GET", `${base}/hosts`),
    /** Take a co-host's rights away (owner): the hosts left. */
    removeHost: (participantId) => api.call("DELETE", `${base}/hosts/${encodeURIComponent(participantId)}`),
    /** Delete the room for good (owner), confirming with its id as typed. */
    deleteRoom: (confirmRoomId) => api.call("DELETE", base, { confirmRoomId }),
  };
}
