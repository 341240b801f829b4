// An error in plain words, next to what caused it, with a jump to the booking it names.
import type { ErrorView } from "../../booking/errorMessages";

interface Props {
  error: ErrorView;
  testId: "action-error" | "board-error";
  onJump?: (bookingId: string) => void;
  onDismiss?: () => void;
}

export function ErrorAlert({ error, testId, onJump, onDismiss }: Props) {
  return (
    <div class="alert" role="alert" data-testid={testId} data-code={error.code}>
      <div class="alert-body">
        <p class="alert-message">{error.message}</p>
        {error.details.length > 0 && (
          <ul class="alert-details">
            {error.details.map((d, i) => (
              <li key={i}>{d}</li>
            ))}
          </ul>
        )}
      </div>
      <div class="alert-actions">
        {error.jump && onJump && (
          <button type="button" class="btn btn-small" onClick={() => onJump(error.jump!.bookingId)}>
            {error.jump.label}
          </button>
        )}
        {onDismiss && (
          <button type="button" class="btn btn-small btn-quiet" aria-label="Dismiss message" onClick={onDismiss}>
            <span aria-hidden="true">×</span>
          </button>
        )}
      </div>
    </div>
  );
}
