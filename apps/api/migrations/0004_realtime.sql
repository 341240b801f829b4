-- 0004_realtime.sql: what the Socket.IO pump (SPEC §7) needs beyond booking_events.
--
-- Booking changes reach every instance through booking_events (read by seq, with the NOTIFY of
-- 0001 as a hint). Availability preference changes write no event, so they notify channel
-- availability_changed with '<tenant_id>:<artist_id>' at commit: a PUT of preferences (row
-- inserted, updated or deleted) and a change of the artist's time zone. A notification can be
-- lost while an instance's LISTEN connection is down; after reconnecting, the pump asks
-- ptool_availability_changed_since for the artists whose preferences or zone changed since the
-- outage began and announces those too.

CREATE FUNCTION artist_availability_notify() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_row := OLD;
    ELSE
        v_row := NEW;
    END IF;
    PERFORM pg_notify('availability_changed', v_row.tenant_id::text || ':' || v_row.artist_id::text);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION artist_availability_notify() IS
    'Notifies channel availability_changed with ''<tenant_id>:<artist_id>'' at commit.';

CREATE TRIGGER artist_availability_notify
    AFTER INSERT OR UPDATE OR DELETE ON artist_availability
    FOR EACH ROW EXECUTE FUNCTION artist_availability_notify();

CREATE FUNCTION artists_timezone_notify() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('availability_changed', NEW.tenant_id::text || ':' || NEW.id::text);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION artists_timezone_notify() IS
    'An artist''s zone moves their availability windows: notifies availability_changed.';

CREATE TRIGGER artists_timezone_notify
    AFTER UPDATE OF timezone ON artists
    FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone)
    EXECUTE FUNCTION artists_timezone_notify();

-- The catch-up after a lost LISTEN connection reads across tenants, like the other maintenance
-- functions of 0001 (owner-only policies, switched on for the function's duration).
CREATE POLICY artists_maintenance_read ON artists FOR SELECT TO CURRENT_USER
    USING (current_setting('ptool.maintenance', true) = 'on');
CREATE POLICY artist_availability_maintenance_read ON artist_availability FOR SELECT
    TO CURRENT_USER
    USING (current_setting('ptool.maintenance', true) = 'on');

CREATE FUNCTION ptool_availability_changed_since(p_since timestamptz)
RETURNS TABLE (tenant_id uuid, artist_id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_previous text := coalesce(current_setting('ptool.maintenance', true), '');
BEGIN
    PERFORM set_config('ptool.maintenance', 'on', true);
    RETURN QUERY
    SELECT a.tenant_id, a.artist_id
      FROM public.artist_availability AS a
     WHERE a.updated_at >= p_since
    UNION
    SELECT r.tenant_id, r.id
      FROM public.artists AS r
     WHERE r.updated_at >= p_since;
    PERFORM set_config('ptool.maintenance', v_previous, true);
END
$$;

COMMENT ON FUNCTION ptool_availability_changed_since(timestamptz) IS
    'Artists (any tenant) whose availability preferences or record changed at or after p_since '
    '(a superset: any artist edit counts), for the real-time pump''s catch-up.';

REVOKE ALL ON FUNCTION ptool_availability_changed_since(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ptool_availability_changed_since(timestamptz) TO ptool_app;
