-- bench/availability/schedule.sql: the SQL of one GET /api/v1/artists/{id}/schedule computed
-- from PostgreSQL (usecase/availability.cpp load_schedule_input inside with_tenant_transaction),
-- for pgbench -M prepared. The server sends it in 2 round trips:
--   1. one pipeline (one Sync): BEGIN, set_config (deferred by with_tenant_transaction),
--      store::availability_statement, store::active_bookings_statement (calendar_sql with a
--      one-range multirange literal '{["from","to")}', built by multirange_literal);
--   2. COMMIT.
-- The statement text is the server's, with $n written as pgbench variables: :tenant = $1 of
-- set_config, :artist = $1, :mr = $2 (run substitutes :mr_<k>, one window per script file, and
-- checks that every statement occurs verbatim in the ptool binary). run sets
-- plan_cache_mode = force_generic_plan as ptool serve does on every pool connection.
\startpipeline
BEGIN;
SELECT set_config('app.tenant_id', :tenant, true);
SELECT ar.timezone, av.weekly::text, av.overrides::text FROM artists AS ar LEFT JOIN artist_availability AS av ON av.tenant_id = ar.tenant_id AND av.artist_id = ar.id WHERE ar.id = :artist::uuid;
SELECT b.id, b.artist_id, b.project_id, (extract(epoch FROM b.start_time) * 1000000)::int8, (extract(epoch FROM b.end_time) * 1000000)::int8, b.status, b.priority, (extract(epoch FROM b.expires_at) * 1000000)::int8, b.version, b.title, b.notes, b.status_reason, b.challenge_by_booking_id, (extract(epoch FROM b.challenge_deadline) * 1000000)::int8, b.created_by, (extract(epoch FROM b.created_at) * 1000000)::int8, (extract(epoch FROM b.updated_at) * 1000000)::int8, b.id IN (SELECT p.challenge_by_booking_id FROM bookings AS p WHERE p.challenge_by_booking_id IS NOT NULL) AS is_challenger, b.availability_overridden FROM bookings AS b WHERE b.artist_id = :artist::uuid AND b.status IN ('hold', 'pencil', 'confirmed') AND tstzrange(b.start_time, b.end_time, '[)') && :mr::tstzmultirange AND b.start_time < upper(:mr::tstzmultirange) AND b.start_time > lower(:mr::tstzmultirange) - interval '31 days' ORDER BY b.start_time, b.id;
\endpipeline
COMMIT;
