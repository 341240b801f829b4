// Which booking actions a role may take on a booking in a given status (SPEC §3 and §4 permissions).
import type { Role } from "../auth/token";
import type { TransitionAction } from "../api/client";
import type { BookingStatus } from "../api/wire";

export type BookingAction = TransitionAction;

/** Button labels: the UI contract fixes these accessible names. */
export const ACTION_LABEL: Record<BookingAction, string> = {
  pencil: "Pencil",
  confirm: "Confirm",
  release: "Release",
  cancel: "Cancel booking",
  challenge: "Challenge",
  extend: "Extend hold",
};

const BY_STATUS: Record<BookingStatus, readonly BookingAction[]> = {
  hold: ["pencil", "confirm", "release", "extend", "challenge"],
  pencil: ["confirm", "release"],
  confirmed: ["cancel"],
  released: [],
  expired: [],
  cancelled: [],
};

const BOOKER: readonly BookingAction[] = ["pencil", "release", "challenge", "extend"];
const MANAGER: readonly BookingAction[] = [...BOOKER, "confirm", "cancel"];

const BY_ROLE: Record<Role, readonly BookingAction[]> = {
  admin: MANAGER,
  manager: MANAGER,
  booker: BOOKER,
  artist: [],
  viewer: [],
};

export function allowedActions(role: Role, status: BookingStatus): BookingAction[] {
  const mine = BY_ROLE[role];
  return BY_STATUS[status].filter((a) => mine.includes(a));
}

/** Whether the role may change bookings at all (viewer and artist only read the board). */
export function canEditBookings(role: Role): boolean {
  return BY_ROLE[role].length > 0;
}

export const TERMINAL_STATUSES: readonly BookingStatus[] = ["released", "expired", "cancelled"];

export function isTerminal(status: BookingStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Statuses whose booking carries an expiry the UI counts down to. */
export function hasCountdown(status: BookingStatus): boolean {
  return status === "hold" || status === "pencil";
}
