-- 0001_core.sql: the initial schema.
--   1. tenants, artists, projects, bookings (with the exclusivity constraint of SPEC §3.1),
--      availability preferences and idempotency keys;
--   2. booking_events, the append-only audit log, and its NOTIFY;
--   3. tenant isolation: row-level security, the privileges of ptool_app, and the cross-tenant
--      maintenance functions.
--
-- Applied by `ptool migrate` as the owner role, in one transaction together with its
-- schema_migrations row. Forward-only: never edit this file once applied; add a new one.
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
-- The expiry sweeper (across tenants, see ptool_due_bookings below).
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

-- ============================================================================================
-- 2. The event log: append-only audit of booking changes (SPEC §6) and its real-time hint
--    (NOTIFY booking_events).
-- ============================================================================================
--
-- Ordering without loss: seq is drawn at insert, but transactions commit in another order. Each
-- row records its writer's transaction id (xid), taken *before* its seq is drawn (see
-- booking_events_next_seq), so a reader can tell which seqs may still appear:
--   1. note S = pg_current_snapshot() and M = max(seq) visible in the same statement;
--   2. later, once every xid in pg_snapshot_xip(S) has pg_xact_status <> 'in progress'
--      (or null), no transaction can commit a seq <= M any more: events up to M are final.
-- Events (last, M] can then be passed on in seq order without skipping a late committer.

CREATE SEQUENCE booking_events_seq_seq AS bigint;

CREATE FUNCTION booking_events_next_seq() RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- Assign the transaction id first: a writer that drew its seq before owning an xid could
    -- be missing from a reader's snapshot while its seq is already below the reader's maximum.
    PERFORM pg_current_xact_id();
    RETURN nextval('public.booking_events_seq_seq');
END
$$;

COMMENT ON FUNCTION booking_events_next_seq() IS
    'Default of booking_events.seq: assigns the transaction id, then draws the next seq.';

CREATE TABLE booking_events (
    seq         bigint      NOT NULL DEFAULT booking_events_next_seq(),
    tenant_id   uuid        NOT NULL,
    booking_id  uuid        NOT NULL,
    artist_id   uuid        NOT NULL,
    type        text        NOT NULL,
    actor       text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    payload     jsonb       NOT NULL DEFAULT '{}',
    xid         xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT booking_events_pkey PRIMARY KEY (seq),
    CONSTRAINT booking_events_booking_fkey
        FOREIGN KEY (tenant_id, booking_id) REFERENCES bookings (tenant_id, id),
    CONSTRAINT booking_events_artist_fkey
        FOREIGN KEY (tenant_id, artist_id) REFERENCES artists (tenant_id, id),
    CONSTRAINT booking_events_type_valid CHECK (type IN (
        'booking.held', 'booking.pencilled', 'booking.confirmed', 'booking.extended',
        'booking.rescheduled', 'booking.updated', 'booking.released', 'booking.expired',
        'booking.cancelled', 'booking.challenged', 'booking.challenge_won',
        'booking.challenge_failed', 'booking.challenge_withdrawn')),
    CONSTRAINT booking_events_actor_not_empty CHECK (actor <> ''),
    CONSTRAINT booking_events_payload_object CHECK (jsonb_typeof(payload) = 'object')
);

ALTER SEQUENCE booking_events_seq_seq OWNED BY booking_events.seq;

-- GET /events?afterSeq= (the tenant feed) and the real-time catch-up read.
CREATE INDEX booking_events_tenant_seq_idx ON booking_events (tenant_id, seq);
-- GET /bookings/{id}/events and ptool verify-events.
CREATE INDEX booking_events_booking_seq_idx ON booking_events (tenant_id, booking_id, seq);

COMMENT ON TABLE booking_events IS
    'Append-only log: one row per booking state change, written in the transaction of the '
    'change. UPDATE, DELETE and TRUNCATE are refused by trigger (and not granted to ptool_app). '
    'Each insert notifies channel booking_events with ''<tenant_id>:<seq>'' at commit.';
COMMENT ON COLUMN booking_events.seq IS
    'Global, gap-tolerant order of events; drawn after the writer''s xid (ordering without loss).';
COMMENT ON COLUMN booking_events.artist_id IS 'The booking''s artist at the time of the event.';
COMMENT ON COLUMN booking_events.type IS 'One of the 13 booking.* event types of SPEC §6.';
COMMENT ON COLUMN booking_events.actor IS 'JWT sub of the caller, or the sweeper''s name.';
COMMENT ON COLUMN booking_events.payload IS
    '{booking: the booking after the change, previous: changed fields'' old values or null, '
    'reason: release/cancel/override reason or null}.';
COMMENT ON COLUMN booking_events.xid IS
    'Transaction id of the writer (pg_current_xact_id()), for pg_xact_status/pg_snapshot checks.';

-- Append-only ---------------------------------------------------------------------------------

CREATE FUNCTION booking_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'booking_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Correct a booking by writing a new event.';
END
$$;

-- Statement-level, so even a statement that matches no row is refused.
CREATE TRIGGER booking_events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON booking_events
    FOR EACH STATEMENT EXECUTE FUNCTION booking_events_refuse_change();

-- Real-time hint ------------------------------------------------------------------------------

CREATE FUNCTION booking_events_notify() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- Delivered only when (and if) the inserting transaction commits. A hint only: listeners
    -- still read booking_events by seq, so a lost notification loses nothing.
    PERFORM pg_notify('booking_events', NEW.tenant_id::text || ':' || NEW.seq::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER booking_events_notify
    AFTER INSERT ON booking_events
    FOR EACH ROW EXECUTE FUNCTION booking_events_notify();

-- ============================================================================================
-- 3. Tenant isolation: row-level security on every tenant table, the privileges of the
--    application role ptool_app, and the few cross-tenant maintenance functions it may call.
-- ============================================================================================
--
-- Model (SPEC §8): the server connects as ptool_app (LOGIN, NOBYPASSRLS, owns nothing, created
-- outside migrations) and runs set_config('app.tenant_id', <tid>, true) in each transaction.
-- Every tenant table has ENABLE + FORCE ROW LEVEL SECURITY with a policy comparing tenant_id to
-- that setting, so a session with no (or an invalid) tenant set sees and writes no rows. FORCE
-- makes the owner subject to the policies too. Referential-integrity checks bypass RLS, which is
-- what composite (tenant_id, id) foreign keys rely on.

-- The tenant of this session ----------------------------------------------------------------

-- Null unless app.tenant_id holds a UUID in canonical form, so a malformed setting yields
-- "no rows" instead of a cast error quoting the setting. Plain SQL and STABLE so that it is
-- inlined into the policies and usable as an index condition.
CREATE FUNCTION ptool_current_tenant() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN current_setting('app.tenant_id', true)
             ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        THEN current_setting('app.tenant_id', true)::uuid
    END
$$;

COMMENT ON FUNCTION ptool_current_tenant() IS
    'The tenant of the current transaction/session (app.tenant_id), or null when unset/invalid.';

-- Row-level security --------------------------------------------------------------------------

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_isolation ON tenants
    USING (id = ptool_current_tenant())
    WITH CHECK (id = ptool_current_tenant());

ALTER TABLE artists ENABLE ROW LEVEL SECURITY;
ALTER TABLE artists FORCE ROW LEVEL SECURITY;
CREATE POLICY artists_isolation ON artists
    USING (tenant_id = ptool_current_tenant())
    WITH CHECK (tenant_id = ptool_current_tenant());

ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY projects_isolation ON projects
    USING (tenant_id = ptool_current_tenant())
    WITH CHECK (tenant_id = ptool_current_tenant());

ALTER TABLE bookings ENABLE ROW LEVEL SECURITY;
ALTER TABLE bookings FORCE ROW LEVEL SECURITY;
CREATE POLICY bookings_isolation ON bookings
    USING (tenant_id = ptool_current_tenant())
    WITH CHECK (tenant_id = ptool_current_tenant());

ALTER TABLE booking_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE booking_events FORCE ROW LEVEL SECURITY;
CREATE POLICY booking_events_isolation ON booking_events
    USING (tenant_id = ptool_current_tenant())
    WITH CHECK (tenant_id = ptool_current_tenant());

ALTER TABLE artist_availability ENABLE ROW LEVEL SECURITY;
ALTER TABLE artist_availability FORCE ROW LEVEL SECURITY;
CREATE POLICY artist_availability_isolation ON artist_availability
    USING (tenant_id = ptool_current_tenant())
    WITH CHECK (tenant_id = ptool_current_tenant());

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_isolation ON idempotency_keys
    USING (tenant_id = ptool_current_tenant())
    WITH CHECK (tenant_id = ptool_current_tenant());

-- Maintenance reads across tenants. The sweeper, the event pump and verify-events must find
-- work in every tenant, which no tenant-scoped session can see. These policies apply only to the
-- owner (the role running this migration) and only while ptool.maintenance = 'on', which the
-- SECURITY DEFINER functions below switch on for their own duration. The application role cannot
-- use the policies (it is not the owner); the owner in an ordinary session still sees no rows.
CREATE POLICY tenants_maintenance_read ON tenants FOR SELECT TO CURRENT_USER
    USING (current_setting('ptool.maintenance', true) = 'on');
CREATE POLICY bookings_maintenance_read ON bookings FOR SELECT TO CURRENT_USER
    USING (current_setting('ptool.maintenance', true) = 'on');
CREATE POLICY booking_events_maintenance_read ON booking_events FOR SELECT TO CURRENT_USER
    USING (current_setting('ptool.maintenance', true) = 'on');
CREATE POLICY idempotency_keys_maintenance_read ON idempotency_keys FOR SELECT TO CURRENT_USER
    USING (current_setting('ptool.maintenance', true) = 'on');
CREATE POLICY idempotency_keys_maintenance_purge ON idempotency_keys FOR DELETE TO CURRENT_USER
    USING (current_setting('ptool.maintenance', true) = 'on');

-- Cross-tenant maintenance functions ---------------------------------------------------------
-- They return ids and sequence positions (or, for the pump, events); the caller then sets
-- app.tenant_id and reads/locks the rows it acts on through the ordinary tenant-scoped path.
-- Hardened search_path and qualified names. PL/pgSQL rather than SQL because PostgreSQL 15 lets
-- only superusers put a custom setting in a function's SET clause; set_config(..., true) is
-- undone by the (sub)transaction's abort on error, and restored explicitly on success.

CREATE FUNCTION ptool_tenant_ids() RETURNS SETOF uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_previous text := coalesce(current_setting('ptool.maintenance', true), '');
BEGIN
    PERFORM set_config('ptool.maintenance', 'on', true);
    RETURN QUERY SELECT t.id FROM public.tenants AS t ORDER BY t.id;
    PERFORM set_config('ptool.maintenance', v_previous, true);
END
$$;

COMMENT ON FUNCTION ptool_tenant_ids() IS
    'Every tenant id, for jobs that walk all tenants (verify-events).';

CREATE FUNCTION ptool_due_bookings(p_now timestamptz, p_limit integer)
RETURNS TABLE (tenant_id uuid, booking_id uuid, due_at timestamptz, due_kind text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_previous text := coalesce(current_setting('ptool.maintenance', true), '');
BEGIN
    PERFORM set_config('ptool.maintenance', 'on', true);
    RETURN QUERY
    SELECT d.tenant_id, d.id, d.due_at, d.kind
      FROM ((SELECT b.tenant_id, b.id, b.challenge_deadline AS due_at,
                    'challenge_deadline'::text AS kind
               FROM public.bookings AS b
              WHERE b.challenge_deadline IS NOT NULL AND b.challenge_deadline <= p_now
              ORDER BY b.challenge_deadline
              LIMIT p_limit)
            UNION ALL
            (SELECT b.tenant_id, b.id, b.expires_at, 'expiry'::text
               FROM public.bookings AS b
              WHERE b.status IN ('hold', 'pencil') AND b.expires_at <= p_now
              ORDER BY b.expires_at
              LIMIT p_limit)) AS d
     ORDER BY d.due_at, d.kind, d.tenant_id, d.id
     LIMIT p_limit;
    PERFORM set_config('ptool.maintenance', v_previous, true);
END
$$;

COMMENT ON FUNCTION ptool_due_bookings(timestamptz, integer) IS
    'Sweeper work list across tenants, oldest first: challenged pencils whose deadline passed '
    '(challenge_deadline) and holds/pencils whose expires_at passed (expiry). At equal times '
    'challenge_deadline sorts first, so a challenge is decided before its challenger''s hold '
    'expires. A booking may appear under both kinds; re-check under FOR UPDATE SKIP LOCKED.';

CREATE FUNCTION ptool_purge_idempotency_keys(p_now timestamptz, p_limit integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_previous text := coalesce(current_setting('ptool.maintenance', true), '');
    v_count integer;
BEGIN
    PERFORM set_config('ptool.maintenance', 'on', true);
    DELETE FROM public.idempotency_keys AS k
     WHERE (k.tenant_id, k.method, k.path, k.key) IN (
               SELECT e.tenant_id, e.method, e.path, e.key
                 FROM public.idempotency_keys AS e
                WHERE e.expires_at <= p_now
                ORDER BY e.expires_at
                LIMIT p_limit);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    PERFORM set_config('ptool.maintenance', v_previous, true);
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION ptool_purge_idempotency_keys(timestamptz, integer) IS
    'Deletes up to p_limit idempotency keys of any tenant that expired by p_now; returns the '
    'count.';

CREATE FUNCTION ptool_event_watermark(OUT snapshot pg_snapshot, OUT max_seq bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_previous text := coalesce(current_setting('ptool.maintenance', true), '');
BEGIN
    PERFORM set_config('ptool.maintenance', 'on', true);
    -- One statement, so the snapshot returned is the one max(seq) was read in.
    SELECT pg_current_snapshot(), coalesce(max(e.seq), 0)
      INTO snapshot, max_seq
      FROM public.booking_events AS e;
    PERFORM set_config('ptool.maintenance', v_previous, true);
END
$$;

COMMENT ON FUNCTION ptool_event_watermark() IS
    'The current snapshot and the highest seq visible in it (any tenant). Events up to max_seq '
    'are final once no xid of pg_snapshot_xip(snapshot) is still in progress (pg_xact_status).';

CREATE FUNCTION ptool_events_between(p_after_seq bigint, p_through_seq bigint, p_limit integer)
RETURNS SETOF booking_events
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_previous text := coalesce(current_setting('ptool.maintenance', true), '');
BEGIN
    PERFORM set_config('ptool.maintenance', 'on', true);
    RETURN QUERY
    SELECT e.*
      FROM public.booking_events AS e
     WHERE e.seq > p_after_seq AND e.seq <= p_through_seq
     ORDER BY e.seq
     LIMIT p_limit;
    PERFORM set_config('ptool.maintenance', v_previous, true);
END
$$;

COMMENT ON FUNCTION ptool_events_between(bigint, bigint, integer) IS
    'Events of every tenant with p_after_seq < seq <= p_through_seq in seq order (the real-time '
    'pump of one instance serves all tenants).';

-- Privileges ----------------------------------------------------------------------------------

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ptool_app;

REVOKE ALL ON tenants, artists, projects, bookings, booking_events, artist_availability,
              idempotency_keys, schema_migrations FROM PUBLIC;
REVOKE ALL ON SEQUENCE booking_events_seq_seq FROM PUBLIC;

-- UPDATE only on the columns the application changes: identity, tenant, artist of a booking and
-- creation data are immutable for it.
GRANT SELECT, INSERT ON tenants TO ptool_app;
GRANT UPDATE (name, hold_ttl_minutes, hold_max_minutes, pencil_ttl_hours,
              challenge_window_hours, updated_at) ON tenants TO ptool_app;

GRANT SELECT, INSERT ON artists TO ptool_app;
GRANT UPDATE (name, timezone, email, user_id, updated_at) ON artists TO ptool_app;

GRANT SELECT, INSERT ON projects TO ptool_app;
GRANT UPDATE (name, code, description, updated_at) ON projects TO ptool_app;

GRANT SELECT, INSERT ON bookings TO ptool_app;
GRANT UPDATE (project_id, start_time, end_time, status, priority, expires_at, version, title,
              notes, status_reason, challenge_by_booking_id, challenge_deadline, updated_at)
    ON bookings TO ptool_app;

GRANT SELECT, INSERT ON artist_availability TO ptool_app;
GRANT UPDATE (weekly, overrides, updated_at) ON artist_availability TO ptool_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO ptool_app;

-- Append-only, and seq/xid always come from their defaults (never supplied by the writer).
GRANT SELECT ON booking_events TO ptool_app;
GRANT INSERT (tenant_id, booking_id, artist_id, type, actor, occurred_at, payload)
    ON booking_events TO ptool_app;
GRANT USAGE ON SEQUENCE booking_events_seq_seq TO ptool_app;

-- /readyz compares the applied migrations with the binary's.
GRANT SELECT ON schema_migrations TO ptool_app;

REVOKE ALL ON FUNCTION ptool_tenant_ids() FROM PUBLIC;
REVOKE ALL ON FUNCTION ptool_due_bookings(timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION ptool_purge_idempotency_keys(timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION ptool_event_watermark() FROM PUBLIC;
REVOKE ALL ON FUNCTION ptool_events_between(bigint, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ptool_tenant_ids() TO ptool_app;
GRANT EXECUTE ON FUNCTION ptool_due_bookings(timestamptz, integer) TO ptool_app;
GRANT EXECUTE ON FUNCTION ptool_purge_idempotency_keys(timestamptz, integer) TO ptool_app;
GRANT EXECUTE ON FUNCTION ptool_event_watermark() TO ptool_app;
GRANT EXECUTE ON FUNCTION ptool_events_between(bigint, bigint, integer) TO ptool_app;
