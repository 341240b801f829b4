// Board state for bookings: a map by id fed by range fetches and live events; newer versions win.
import type { Booking } from "../api/wire";

export type BookingMap = ReadonlyMap<string, Booking>;

export type BookingsAction =
  /** A fresh fetch of the visible range: it replaces the map, but keeps anything newer seen meanwhile
   * (and the bookings in `keepIds`: those that arrived live while the fetch ran). */
  | { type: "loaded"; bookings: Booking[]; keepIds?: ReadonlySet<string> }
  /** One booking from a live event, an action's response or a fetch by id. */
  | { type: "upsert"; booking: Booking }
  | { type: "reset" };

/** Whether `incoming` should replace `current`: a higher version, or the same version read later
 * (a lazily shown expiry keeps its version but changes the effective status). */
export function isNewer(incoming: Booking, current: Booking | undefined): boolean {
  if (!current) return true;
  if (incoming.version !== current.version) return incoming.version > current.version;
  return incoming.status !== current.status || incoming.updatedAt >= current.updatedAt;
}

export function bookingsReducer(state: BookingMap, action: BookingsAction): BookingMap {
  switch (action.type) {
    case "reset":
      return new Map();
    case "upsert": {
      if (!isNewer(action.booking, state.get(action.booking.id))) return state;
      const next = new Map(state);
      next.set(action.booking.id, action.booking);
      return next;
    }
    case "loaded": {
      const next = new Map<string, Booking>();
      for (const b of action.bookings) {
        const seen = state.get(b.id);
        next.set(b.id, seen && seen.version > b.version ? seen : b);
      }
      for (const id of action.keepIds ?? []) {
        const seen = state.get(id);
        if (seen && !next.has(id)) next.set(id, seen);
      }
      return next;
    }
  }
}
