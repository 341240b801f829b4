// Countdown text for a hold or pencil: "Expires in M:SS", "Expires in H:MM:SS", or "Expired".

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** The remaining time as M:SS below an hour, else H:MM:SS (hours may exceed 24 for pencils). */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}

export function countdownText(expiresAt: string | null, nowMs: number): string | null {
  if (expiresAt === null) return null;
  const left = Date.parse(expiresAt) - nowMs;
  if (Number.isNaN(left)) return null;
  // Shown whole seconds round down, so "0:00" would still be live for up to a second: call that expired.
  if (left < 1000) return "Expired";
  return `Expires in ${formatRemaining(left)}`;
}
