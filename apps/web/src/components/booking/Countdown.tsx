// "Expires in M:SS" for a hold or pencil, ticking every second.
import { countdownText } from "../../booking/countdown";
import { useNow } from "../../hooks/useNow";

export function Countdown({ expiresAt }: { expiresAt: string | null }) {
  const now = useNow(1000, expiresAt !== null);
  const text = countdownText(expiresAt, now);
  if (text === null) return null;
  const urgent = text === "Expired" || (expiresAt !== null && Date.parse(expiresAt) - now < 5 * 60_000);
  return (
    <span class={`countdown${urgent ? " countdown-urgent" : ""}`} data-testid="countdown" role="timer" aria-live="off">
      {text}
    </span>
  );
}
