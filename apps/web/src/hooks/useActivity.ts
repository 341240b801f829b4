// Remembers when the user last used pointer or keyboard (heartbeats only keep holds alive for active users).
import { useEffect, useRef } from "preact/hooks";

export function useLastActivity(): { current: number } {
  const last = useRef(Date.now());
  useEffect(() => {
    const mark = (): void => {
      last.current = Date.now();
    };
    const events = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"] as const;
    for (const e of events) window.addEventListener(e, mark, { passive: true });
    return () => {
      for (const e of events) window.removeEventListener(e, mark);
    };
  }, []);
  return last;
}
