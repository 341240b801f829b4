// Request bodies, straight from the generated OpenAPI types (the server validates them; the client
// only builds them, so no Zod schema is needed). Members with a server default are optional.
import type { components } from "./openapi.ts";

type Schemas = components["schemas"];

export type BookingCreate = Schemas["BookingCreate"];
export type BookingPatch = Schemas["BookingPatch"];
export type PencilRequest = Schemas["PencilRequest"];
export type ConfirmRequest = Schemas["ConfirmRequest"];
/** Body of release, cancel and challenge. */
export type ReasonRequest = Schemas["ReasonRequest"];
export type ArtistCreate = Schemas["ArtistCreate"];
export type ArtistPatch = Schemas["ArtistPatch"];
export type AvailabilityPut = Schemas["AvailabilityPut"];
export type ProjectCreate = Schemas["ProjectCreate"];
export type TenantPatch = Schemas["TenantPatch"];
export type TestClockRequest = Schemas["TestClockRequest"];
