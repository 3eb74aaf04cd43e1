// @ts-check
/** The REST calls of a room's host settings: the owner's host key, who hosts it, deleting it. */

import { room } from "./api.js";
/** @import { Api, HostKey, HostKeyRotated, Hosts } from "./types.js" */

/**
 * Host calls for `roomId` through `api` (from makeApi).
 * @param {Api} api
 * @param {string} roomId
 */
export function hostApi(api, roomId) {
  const base = room(roomId);
  return {
    /**
     * The host key, for the owner only.
     * @returns {Promise<HostKey>}
     */
    hostKey: () => api.call("GET", `${base}/host-key`),
    /**
     * A new host key (owner); co-hosts of the old one lose their rights unless kept.
     * @returns {Promise<HostKeyRotated>}
     */
    rotate: (keepCohosts = false) => api.call("POST", `${base}/host-key`, { keepCohosts }),
    /**
     * The hosts, owner first.
     * @returns {Promise<Hosts>}
     */
    hosts: () => api.call("GET", `${base}/hosts`),
    /**
     * Take a co-host's rights away (owner): the hosts left.
     * @param {string} participantId
     * @returns {Promise<Hosts>}
     */
    removeHost: (participantId) => api.call("DELETE", `${base}/hosts/${encodeURIComponent(participantId)}`),
    /**
     * Delete the room for good (owner), confirming with its id as typed.
     * @param {string} confirmRoomId
     * @returns {Promise<null>}
     */
    deleteRoom: (confirmRoomId) => api.call("DELETE", base, { confirmRoomId }),
  };
}
