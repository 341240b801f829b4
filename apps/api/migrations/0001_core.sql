-- 0001_core.sql: tenants, artists, projects, bookings (with the exclusivity constraint of SPEC
-- §3.1), availability preferences and idempotency keys.
--
-- Applied by `ptool migrate` as the owner role, in one transaction together with its
-- schema_migrations row. Forward-only: never edit this file once applied; add a new one.
-- Row-level security, grants and the cross-tenant maintenance functions are in 0003.
--
-- Conventions: every tenant table carries tenant_id and keys on (tenant_id, id), so foreign keys
-- include the tenant and a row can never point into another tenant. Timestamps are timestamptz;
-- created_at/updated_at default to now() but the application passes its own clock (the test
-- clock of SPEC §10), so time-dependent SQL takes `now` as a parameter.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ptool_app') THEN
        RAISE EXCEPTION 'role ptool_app does not exist'
            USING HINT = 'create it first: CREATE ROLE ptool_app LOGIN NOBYPASSRLS PASSWORD ...';
    END IF;
END
$$;

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Tenants ------------------------------------------------------------------------------------

CREATE TABLE tenants (
    id                     uuid        NOT NULL DEFAULT gen_random_uuid(),
    name                   text        NOT NULL,
    hold_ttl_minutes       integer     NOT NULL DEFAULT 30,
    hold_max_minutes       integer     NOT NULL DEFAULT 480,
    pencil_ttl_hours       integer     NOT NULL DEFAULT 48,
    challenge_window_hours integer     NOT NULL DEFAULT 24,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenants_pkey PRIMARY KEY (id),
    CONSTRAINT tenants_name_not_empty CHECK (name <> ''),
    CONSTRAINT tenants_hold_ttl_range CHECK (hold_ttl_minutes BETWEEN 1 AND 120),
    CONSTRAINT tenants_hold_max_range
        CHECK (hold_max_minutes BETWEEN hold_ttl_minutes AND 10080),
    CONSTRAINT tenants_pencil_ttl_range CHECK (pencil_ttl_hours BETWEEN 24 AND 48),
    CONSTRAINT tenants_challenge_window_range CHECK (challenge_window_hours BETWEEN 1 AND 72)
);

COMMENT ON TABLE tenants IS
    'An agency or production company (SPEC §2) and its settings. Every other table carries '
    'tenant_id; row-level security shows a session only the tenant in app.tenant_id.';
COMMENT ON COLUMN tenants.hold_ttl_minutes IS
    'A new or extended hold lives this long (1..120).';
COMMENT ON COLUMN tenants.hold_max_minutes IS
    'Longest a hold may live through extensions, counted from created_at (hold_ttl..10080).';
COMMENT ON COLUMN tenants.pencil_ttl_hours IS
    'Default time a pencil has to be confirmed (24..48).';
COMMENT ON COLUMN tenants.challenge_window_hours IS
    'Time a challenged pencil has to confirm or lose (1..72).';

-- Artists and projects ------------------------------------------------------------------------

CREATE TABLE artists (
    tenant_id  uuid        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    name       text        NOT NULL,
    timezone   text        NOT NULL DEFAULT 'UTC',
    email      text,
    user_id    text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT artists_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT artists_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT artists_name_not_empty CHECK (name <> ''),
    CONSTRAINT artists_timezone_not_empty CHECK (timezone <> ''),
    CONSTRAINT artists_user_id_not_empty CHECK (user_id <> '')
);

CREATE INDEX artists_user_idx ON artists (tenant_id, user_id) WHERE user_id IS NOT NULL;

COMMENT ON TABLE artists IS
    'A bookable person. The key is (tenant_id, id): the same id in two tenants is two artists.';
COMMENT ON COLUMN artists.timezone IS
    'IANA zone name (validated by the application); availability windows are in this zone.';
COMMENT ON COLUMN artists.user_id IS
    'The login (JWT sub) of the artist-role user who may edit this artist''s availability.';

CREATE TABLE projects (
    tenant_id   uuid        NOT NULL,
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    name        text        NOT NULL,
    code        text,
    description text,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT projects_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT projects_name_not_empty CHECK (name <> '')
);

COMMENT ON TABLE projects IS
    'A production that bookings may belong to (bookings.project_id).';
COMMENT ON COLUMN projects.code IS 'Optional short production code (job number), not unique.';

-- Bookings ------------------------------------------------------------------------------------

CREATE TABLE bookings (
    tenant_id               uuid        NOT NULL,
    id                      uuid        NOT NULL DEFAULT gen_random_uuid(),
    artist_id               uuid        NOT NULL,
    project_id              uuid,
    start_time              timestamptz NOT NULL,
    end_time                timestamptz NOT NULL,
    status                  text        NOT NULL DEFAULT 'hold',
    priority                integer     NOT NULL DEFAULT 0,
    expires_at              timestamptz,
    version                 integer     NOT NULL DEFAULT 1,
    title                   text,
    notes                   text,
    status_reason           text,
    challenge_by_booking_id uuid,
    challenge_deadline      timestamptz,
    created_by              text        NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bookings_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT bookings_artist_fkey
        FOREIGN KEY (tenant_id, artist_id) REFERENCES artists (tenant_id, id),
    -- MATCH SIMPLE: a null project_id is not checked.
    CONSTRAINT bookings_project_fkey
        FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id),
    CONSTRAINT bookings_challenger_fkey
        FOREIGN KEY (tenant_id, challenge_by_booking_id) REFERENCES bookings (tenant_id, id),
    CONSTRAINT bookings_status_valid
        CHECK (status IN ('hold', 'pencil', 'confirmed', 'released', 'expired', 'cancelled')),
    CONSTRAINT bookings_time_order CHECK (end_time > start_time),
    CONSTRAINT bookings_duration_range
        CHECK (end_time - start_time BETWEEN interval '1 minute' AND interval '31 days'),
    CONSTRAINT bookings_priority_range CHECK (priority BETWEEN 0 AND 100),
    CONSTRAINT bookings_version_positive CHECK (version > 0),
    CONSTRAINT bookings_title_length CHECK (char_length(title) <= 200),
    CONSTRAINT bookings_notes_length CHECK (char_length(notes) <= 10000),
    CONSTRAINT bookings_created_by_not_empty CHECK (created_by <> ''),
    -- SPEC §3.2: hold and pencil always have an expiry, confirmed never has one.
    CONSTRAINT bookings_tentative_expires
        CHECK (status NOT IN ('hold', 'pencil') OR expires_at IS NOT NULL),
    CONSTRAINT bookings_confirmed_never_expires
        CHECK (status <> 'confirmed' OR expires_at IS NULL),
    -- SPEC §2: statusReason says why a booking was released or cancelled; null otherwise.
    CONSTRAINT bookings_status_reason_terminal
        CHECK (status_reason IS NULL OR status IN ('released', 'cancelled')),
    CONSTRAINT bookings_status_reason_length CHECK (char_length(status_reason) <= 1000),
    -- SPEC §3.3: only a pencil is challenged; the challenge ends (columns cleared) when the
    -- pencil is confirmed, released, or the challenge is withdrawn/won/failed.
    CONSTRAINT bookings_challenge_complete
        CHECK ((challenge_by_booking_id IS NULL) = (challenge_deadline IS NULL)),
    CONSTRAINT bookings_challenge_on_pencil
        CHECK (challenge_by_booking_id IS NULL OR status = 'pencil'),
    CONSTRAINT bookings_challenge_not_self CHECK (challenge_by_booking_id <> id),
    CONSTRAINT bookings_challenge_before_expiry CHECK (challenge_deadline <= expires_at),
    -- SPEC §3.1, the integrity core: pencil and confirmed bookings of one artist never overlap.
    -- Half-open ranges, so touching bookings do not conflict. Violations raise SQLSTATE 23P01.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        tenant_id WITH =,
        artist_id WITH =,
        tstzrange(start_time, end_time, '[)') WITH &&
    ) WHERE (status IN ('confirmed', 'pencil'))
);

-- GET /bookings ordered by (start_time, id) with a keyset cursor. The duration limit above lets
-- an overlap filter bound the scan from below: start_time > from - interval '31 days'.
CREATE INDEX bookings_list_idx ON bookings (tenant_id, start_time, id);
-- GET /bookings?artistId=... in the same order.
CREATE INDEX bookings_artist_list_idx ON bookings (tenant_id, artist_id, start_time, id);
-- GET /bookings?projectId=... in the same order.
CREATE INDEX bookings_project_list_idx ON bookings (tenant_id, project_id, start_time, id)
    WHERE project_id IS NOT NULL;
-- Conflict, rank, challenge and schedule queries: active bookings of one artist overlapping a
-- range. Use the same expression, tstzrange(start_time, end_time, '[)') && tstzrange($from,
-- $to, '[)'), and a status predicate with constants (status IN ('hold', ...)) so the planner
-- can prove this index's predicate.
CREATE INDEX bookings_artist_active_range_idx ON bookings USING gist (
    tenant_id, artist_id, tstzrange(start_time, end_time, '[)')
) WHERE status IN ('hold', 'pencil', 'confirmed');
-- The expiry sweeper (across tenants, see ptool_due_bookings in 0003).
CREATE INDEX bookings_expiry_idx ON bookings (expires_at)
    WHERE status IN ('hold', 'pencil');
-- Challenge deadlines due (the sweeper) ...
CREATE INDEX bookings_challenge_deadline_idx ON bookings (challenge_deadline)
    WHERE challenge_deadline IS NOT NULL;
-- ... and the pencils a given hold challenges (withdraw, win, fail).
CREATE INDEX bookings_challenger_idx ON bookings (tenant_id, challenge_by_booking_id)
    WHERE challenge_by_booking_id IS NOT NULL;

COMMENT ON TABLE bookings IS
    'Holds, pencils and confirmed bookings of artists'' time, [start_time, end_time). '
    'Exclusivity of pencil/confirmed per artist is the constraint bookings_no_overlap (23P01). '
    'Rows are never deleted; terminal states (released, expired, cancelled) never change again.';
COMMENT ON COLUMN bookings.status IS
    'hold | pencil | confirmed | released | expired | cancelled (SPEC §3). The stored status may '
    'lag: a hold/pencil whose expires_at has passed reads as expired until the sweeper writes it.';
COMMENT ON COLUMN bookings.expires_at IS
    'When a hold or pencil lapses; always set for hold/pencil, null for confirmed, kept as it was '
    'on release/expiry.';
COMMENT ON COLUMN bookings.version IS
    'Optimistic concurrency token (ETag), 1 on insert, +1 on every written change.';
COMMENT ON COLUMN bookings.status_reason IS
    'Why it was released or cancelled: the caller''s reason, challenge_lost or superseded.';
COMMENT ON COLUMN bookings.challenge_by_booking_id IS
    'On a challenged pencil: the hold that challenges it (SPEC §3.3).';
COMMENT ON COLUMN bookings.challenge_deadline IS
    'On a challenged pencil: confirm by then or lose (released, challenge_lost). <= expires_at.';
COMMENT ON COLUMN bookings.created_by IS 'JWT sub of the creator.';

-- Availability preferences (SPEC §5) -----------------------------------------------------------

CREATE TABLE artist_availability (
    tenant_id  uuid        NOT NULL,
    artist_id  uuid        NOT NULL,
    weekly     jsonb,
    overrides  jsonb       NOT NULL DEFAULT '[]',
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT artist_availability_pkey PRIMARY KEY (tenant_id, artist_id),
    CONSTRAINT artist_availability_artist_fkey
        FOREIGN KEY (tenant_id, artist_id) REFERENCES artists (tenant_id, id),
    CONSTRAINT artist_availability_weekly_array
        CHECK (weekly IS NULL OR jsonb_typeof(weekly) = 'array'),
    CONSTRAINT artist_availability_overrides_array CHECK (jsonb_typeof(overrides) = 'array')
);

COMMENT ON TABLE artist_availability IS
    'An artist''s availability preferences; no row = always available. The zone is '
    'artists.timezone.';
COMMENT ON COLUMN artist_availability.weekly IS
    'null = no weekly restriction; [] = no regular windows; else [{day, start, end}] in local '
    'wall-clock time (end <= start means the next day).';
COMMENT ON COLUMN artist_availability.overrides IS
    '[{date, windows: [{start, end}]}]: replaces that local date''s windows ([] = unavailable).';

-- Idempotency keys (SPEC §3.4) ----------------------------------------------------------------

CREATE TABLE idempotency_keys (
    tenant_id        uuid        NOT NULL,
    method           text        NOT NULL,
    path             text        NOT NULL,
    key              text        NOT NULL,
    request_hash     text        NOT NULL,
    state            text        NOT NULL DEFAULT 'in_progress',
    response_status  integer,
    response_headers jsonb,
    response_body    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (tenant_id, method, path, key),
    CONSTRAINT idempotency_keys_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT idempotency_keys_key_length CHECK (char_length(key) BETWEEN 1 AND 255),
    CONSTRAINT idempotency_keys_state_valid CHECK (state IN ('in_progress', 'done')),
    CONSTRAINT idempotency_keys_done_has_response
        CHECK (state <> 'done' OR response_status IS NOT NULL),
    CONSTRAINT idempotency_keys_status_range CHECK (response_status BETWEEN 100 AND 599)
);

CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

COMMENT ON TABLE idempotency_keys IS
    'Idempotency-Key records per tenant + method + path. in_progress while the first request '
    'runs; done holds its 2xx response, replayed verbatim until expires_at (24 h).';
COMMENT ON COLUMN idempotency_keys.request_hash IS
    'Hash of the canonical request body; a retry with another hash is idempotency_key_mismatch.';
