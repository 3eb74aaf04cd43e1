/** Reconnect delays: exponential growth with "equal jitter" so a restarted server is not stampeded. */

export const BASE_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;

/**
 * Delay before reconnect attempt number `attempt` (0-based): between half and all of
 * min(cap, base * 2^attempt).
 */
export function backoffDelay(attempt, { base = BASE_DELAY_MS, cap = MAX_DELAY_MS, random = Math.random } = {}) {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
