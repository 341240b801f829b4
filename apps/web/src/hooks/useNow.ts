// The current time, re-rendered every `everyMs` (for countdowns).
import { useEffect, useState } from "preact/hooks";

export function useNow(everyMs = 1000, enabled = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!enabled) return;
    setNow(Date.now());
    const t = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(t);
  }, [everyMs, enabled]);
  return now;
}
