-- 0003_availability.sql: what availability enforcement (SPEC §5) needs from the schema.
--
-- bookings.availability_overridden: the booking's current times were placed with
-- overrideAvailability: true (a manager's decision), so pencilling or confirming it later does
-- not re-check availability. Set by a create or reschedule with the flag, cleared by a
-- reschedule without it. The flag itself is audited through the event's reason
-- ("overrideAvailability").
--
-- The schedule query reads an artist's active bookings overlapping a range; bookings_artist_
-- active_range_idx (gist) serves it. Availability preferences already live in
-- artist_availability (0001).

ALTER TABLE bookings
    ADD COLUMN availability_overridden boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN bookings.availability_overridden IS
    'The current times were placed with overrideAvailability: pencil/confirm skip the '
    'availability check (SPEC §5).';

GRANT UPDATE (availability_overridden) ON bookings TO ptool_app;

-- Preferences are small JSON documents; bound them so a client cannot store megabytes.
ALTER TABLE artist_availability
    ADD CONSTRAINT artist_availability_weekly_size
        CHECK (weekly IS NULL OR jsonb_array_length(weekly) <= 200),
    ADD CONSTRAINT artist_availability_overrides_size
        CHECK (jsonb_array_length(overrides) <= 1000);
