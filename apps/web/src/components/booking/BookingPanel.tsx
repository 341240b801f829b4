// The booking panel: details, version, countdown, the actions the role and status allow, and their errors.
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../../api/client";
import type { Booking } from "../../api/wire";
import type { Role } from "../../auth/token";
import { ACTION_LABEL, allowedActions, canEditBookings, hasCountdown, isTerminal, type BookingAction } from "../../booking/actions";
import type { ErrorView } from "../../booking/errorMessages";
import { formatRange, formatWhen } from "../../booking/format";
import { bookingTitle } from "../../board/calendarEvents";
import { Countdown } from "./Countdown";
import { ErrorAlert } from "./ErrorAlert";

interface Props {
  bookingId: string;
  booking: Booking | undefined;
  loadError: ErrorView | null;
  artistName: (id: string) => string;
  role: Role;
  tz: string;
  api: ApiClient;
  onClose: () => void;
  onBooking: (b: Booking) => void;
  onJump: (bookingId: string) => void;
  explain: (e: unknown, action: BookingAction | "title") => Promise<ErrorView>;
}

const PRIMARY: ReadonlySet<BookingAction> = new Set(["pencil", "confirm"]);
const DANGER: ReadonlySet<BookingAction> = new Set(["release", "cancel"]);

export function BookingPanel(p: Props) {
  const { booking } = p;
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  // A different booking starts clean.
  useEffect(() => {
    setError(null);
    setDraft(null);
    heading.current?.focus();
  }, [p.bookingId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === "Escape" && !e.defaultPrevented) p.onClose();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [p.onClose]);

  const fail = async (e: unknown, action: BookingAction | "title"): Promise<void> => {
    setError(await p.explain(e, action));
  };

  const run = async (action: BookingAction): Promise<void> => {
    if (!booking || busy) return;
    setBusy(action);
    setError(null);
    try {
      p.onBooking(await p.api.transition(booking.id, action, booking.version));
    } catch (e) {
      await fail(e, action);
    } finally {
      setBusy(null);
    }
  };

  const saveTitle = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!booking || draft === null || busy) return;
    setBusy("title");
    setError(null);
    try {
      const t = draft.trim();
      p.onBooking(await p.api.updateTitle(booking.id, booking.version, t === "" ? null : t));
      setDraft(null);
    } catch (err) {
      await fail(err, "title");
    } finally {
      setBusy(null);
    }
  };

  const actions = booking ? allowedActions(p.role, booking.status) : [];
  const editable = booking !== undefined && canEditBookings(p.role) && !isTerminal(booking.status);
  const titleValue = draft ?? booking?.title ?? "";

  return (
    <aside class="panel" data-testid="booking-panel" aria-labelledby="panel-heading">
      <div class="panel-head">
        <h2 id="panel-heading" ref={heading} tabIndex={-1}>
          Booking
        </h2>
        <button type="button" class="btn btn-quiet" onClick={p.onClose}>
          Close
        </button>
      </div>

      {!booking && !p.loadError && (
        <p class="muted" aria-busy="true">
          Loading booking…
        </p>
      )}
      {!booking && p.loadError && <ErrorAlert error={p.loadError} testId="action-error" />}

      {booking && (
        <>
          <p class="panel-title">{bookingTitle(booking)}</p>
          <div class="panel-status">
            <span class={`status-badge status-${booking.status}`} data-testid="booking-status">
              {booking.status}
            </span>
            <span class="version" data-testid="booking-version">
              Version {booking.version}
            </span>
          </div>
          {hasCountdown(booking.status) && <Countdown key={booking.id} expiresAt={booking.expiresAt} />}

          <dl class="facts">
            <dt>Artist</dt>
            <dd>{p.artistName(booking.artistId)}</dd>
            <dt>When</dt>
            <dd>{formatRange(booking.startTime, booking.endTime, p.tz)}</dd>
            <dt>Priority</dt>
            <dd>{booking.priority}</dd>
            <dt>Placed by</dt>
            <dd>
              {booking.createdBy}, {formatWhen(booking.createdAt, p.tz, Date.now())}
            </dd>
            {booking.challenge && (
              <>
                <dt>Challenged</dt>
                <dd>
                  Another hold asks for this time: confirm by {formatWhen(booking.challenge.deadline, p.tz, Date.now())} or
                  it goes to the challenger.
                </dd>
              </>
            )}
            {booking.statusReason && (
              <>
                <dt>Reason</dt>
                <dd>{reasonText(booking.statusReason)}</dd>
              </>
            )}
          </dl>

          {editable && (
            <form class="title-form" onSubmit={saveTitle}>
              <label for="booking-title">Title</label>
              <div class="title-row">
                <input
                  id="booking-title"
                  type="text"
                  maxLength={200}
                  value={titleValue}
                  placeholder="e.g. Studio day"
                  onInput={(e) => setDraft(e.currentTarget.value)}
                />
                <button type="submit" class="btn" disabled={draft === null || busy !== null}>
                  {busy === "title" ? "Saving…" : "Save"}
                </button>
              </div>
            </form>
          )}

          {error && <ErrorAlert error={error} testId="action-error" onJump={p.onJump} onDismiss={() => setError(null)} />}

          {canEditBookings(p.role) ? (
            actions.length > 0 ? (
              <div class="actions" role="group" aria-label="Actions">
                {actions.map((a) => (
                  <button
                    key={a}
                    type="button"
                    class={`btn ${PRIMARY.has(a) ? "btn-primary" : DANGER.has(a) ? "btn-danger" : ""}`}
                    disabled={busy !== null}
                    aria-busy={busy === a ? "true" : undefined}
                    onClick={() => void run(a)}
                  >
                    {ACTION_LABEL[a]}
                  </button>
                ))}
              </div>
            ) : (
              <p class="muted">
                {isTerminal(booking.status) ? "This booking has ended; nothing more can be done with it." : "No actions available for your role."}
              </p>
            )
          ) : (
            <p class="note" data-testid="readonly-note">
              You can look at bookings but not change them (your role is {p.role}).
            </p>
          )}
        </>
      )}
    </aside>
  );
}

function reasonText(reason: string): string {
  if (reason === "superseded") return "Another booking was confirmed for this time.";
  if (reason === "challenge_lost") return "A challenging hold took over this time.";
  return reason;
}
