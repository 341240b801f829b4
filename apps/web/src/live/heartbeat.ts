// When to send `hold.heartbeat` for the hold open in the panel (pure decision; the timer lives in the UI).

export const ACTIVE_WINDOW_MS = 2 * 60_000;
export const HEARTBEAT_EVERY_MS = 60_000;
export const LOW_TIME_MS = 5 * 60_000;

export interface HeartbeatInput {
  nowMs: number;
  /** Last pointer or key input on the page. */
  lastActivityMs: number;
  /** Last heartbeat sent for this booking, or when the panel opened it. */
  lastBeatMs: number;
  expiresAtMs: number | null;
  /** True when the panel shows a hold the signed-in user placed. */
  ownHold: boolean;
  /** The expiry for which the "little time left" beat was already sent. */
  lowBeatForExpiryMs: number | null;
}

export type Beat = "regular" | "low";

export function isUserActive(nowMs: number, lastActivityMs: number): boolean {
  return nowMs - lastActivityMs <= ACTIVE_WINDOW_MS;
}

export function heartbeatDue(i: HeartbeatInput): Beat | null {
  if (!i.ownHold || !isUserActive(i.nowMs, i.lastActivityMs)) return null;
  if (i.expiresAtMs !== null && i.expiresAtMs <= i.nowMs) return null;
  if (i.nowMs - i.lastBeatMs >= HEARTBEAT_EVERY_MS) return "regular";
  if (i.expiresAtMs !== null && i.expiresAtMs - i.nowMs < LOW_TIME_MS && i.lowBeatForExpiryMs !== i.expiresAtMs) {
    return "low";
  }
  return null;
}
