-- 0003_tenant_isolation.sql: row-level security on every tenant table, the privileges of the
-- application role ptool_app, and the few cross-tenant maintenance functions it may call.
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
    'Deletes up to p_limit idempotency keys of any tenant that expired by p_now; returns the count.';

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
