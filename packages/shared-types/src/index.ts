// @ptool/shared-types: the generated OpenAPI types (paths, components, operations), the Zod
// schemas of what the server sends (each schema and its inferred type share one name), request bodies.
export type { paths, components, operations } from "./openapi.ts";

export { INSTANT_RE, UUID_RE, Instant, Uuid } from "./wire.ts";
export {
  ACTIVE_STATUSES,
  BOOKING_EVENT_TYPES,
  BOOKING_STATUSES,
  Booking,
  BookingChanges,
  BookingEvent,
  BookingEventPage,
  BookingEventType,
  BookingPage,
  BookingStatus,
  Challenge,
  EventPage,
  TERMINAL_STATUSES,
  cursorPage,
} from "./booking.ts";
export {
  ConflictingBooking,
  FieldError,
  OutrankingBooking,
  PROBLEM_CODES,
  Problem,
  ProblemCode,
  TimeWindow,
} from "./problem.ts";
export {
  Artist,
  ArtistPage,
  Availability,
  DateOverride,
  Project,
  ProjectPage,
  SEGMENT_STATES,
  Schedule,
  ScheduleSegment,
  SegmentState,
  Slots,
  Tenant,
  TestClock,
  WEEKDAYS,
  WallWindow,
  Weekday,
  WeeklyWindow,
} from "./resources.ts";
export {
  AVAILABILITY_CHANGED,
  AckError,
  AvailabilityChanged,
  HOLD_HEARTBEAT,
  HoldHeartbeatAck,
  RESYNC_REQUIRED,
  ResyncRequired,
  SERVER_EVENTS,
  SUBSCRIBE,
  SubscribeAck,
  UNSUBSCRIBE,
  type HandshakeAuth,
  type ServerEventName,
} from "./realtime.ts";
export type {
  ArtistCreate,
  ArtistPatch,
  AvailabilityPut,
  BookingCreate,
  BookingPatch,
  ConfirmRequest,
  PencilRequest,
  ProjectCreate,
  ReasonRequest,
  TenantPatch,
  TestClockRequest,
} from "./requests.ts";
