// Maps bookings and schedules to @event-calendar/core event inputs (pure, so the board's look is testable).
import type { Calendar } from "@event-calendar/core";
import type { Booking, BookingStatus, ScheduleSegment } from "../api/wire";
import { isTerminal } from "../booking/actions";

export const STATUS_LABEL: Record<BookingStatus, string> = {
  hold: "Hold",
  pencil: "Pencil",
  confirmed: "Confirmed",
  released: "Released",
  expired: "Expired",
  cancelled: "Cancelled",
};

export function bookingTitle(b: Booking): string {
  const t = b.title?.trim();
  return t ? t : STATUS_LABEL[b.status];
}

export interface EventOptions {
  showEnded: boolean;
  /** List view: titles carry the artist's name, since there are no artist columns. */
  listView: boolean;
  artistName: (artistId: string) => string | undefined;
}

export interface BookingEventProps {
  kind: "booking";
  bookingId: string;
  status: BookingStatus;
  label: string;
}

export function visibleBookings(bookings: Iterable<Booking>, showEnded: boolean): Booking[] {
  return [...bookings].filter((b) => showEnded || !isTerminal(b.status));
}

export function bookingToEvent(b: Booking, opts: EventOptions): Calendar.EventInput {
  const title = bookingTitle(b);
  const artist = opts.artistName(b.artistId);
  const shown = opts.listView && artist ? `${title} · ${artist}` : title;
  const props: BookingEventProps = { kind: "booking", bookingId: b.id, status: b.status, label: STATUS_LABEL[b.status] };
  return {
    // The version in the id makes the calendar remount the element on change, so its attributes stay current.
    id: `${b.id}@${b.version}:${b.status}`,
    resourceIds: [b.artistId],
    start: new Date(b.startTime),
    end: new Date(b.endTime),
    title: shown,
    classNames: ["pt-booking", `pt-status-${b.status}`],
    extendedProps: { ...props },
  };
}

export function bookingEvents(bookings: Iterable<Booking>, opts: EventOptions): Calendar.EventInput[] {
  return visibleBookings(bookings, opts.showEnded)
    .sort((a, b) => a.startTime.localeCompare(b.startTime) || a.id.localeCompare(b.id))
    .map((b) => bookingToEvent(b, opts));
}

/** Unavailable time of one artist as background events. */
export function unavailableEvents(artistId: string, segments: readonly ScheduleSegment[]): Calendar.EventInput[] {
  return segments
    .filter((s) => s.state === "unavailable")
    .map((s, i) => ({
      id: `unavail:${artistId}:${i}:${s.startTime}`,
      resourceIds: [artistId],
      start: new Date(s.startTime),
      end: new Date(s.endTime),
      display: "background" as const,
      classNames: ["pt-unavailable"],
      extendedProps: { kind: "unavailable" },
    }));
}

export function readBookingProps(extendedProps: Record<string, unknown>): BookingEventProps | null {
  if (extendedProps.kind !== "booking") return null;
  const { bookingId, status, label } = extendedProps;
  if (typeof bookingId !== "string" || typeof status !== "string" || typeof label !== "string") return null;
  return { kind: "booking", bookingId, status: status as BookingStatus, label };
}
