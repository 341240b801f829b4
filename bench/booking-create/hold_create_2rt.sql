-- EXPERIMENT (opt-in phase pgbench_2rt of ./run): hold_create.sql in 2 round trips instead of 4,
-- to measure what pipelining would gain the server:
--   round trip 1  BEGIN + set_config + lock_artist + load_calendar      (pipelined; the calendar
--                 is still read under the lock: a backend runs a pipeline's statements in order)
--   round trip 2  INSERT booking + INSERT event + COMMIT                  (pipelined; if an INSERT
--                 fails the COMMIT is skipped and the caller must ROLLBACK)
-- Same variables and statements as hold_create.sql (see there). Run it with
-- `./run --phases pgbench_pool,pgbench_2rt` (POOL clients each).

\if :ready = 0
SELECT (string_to_array(:artists, ','))[:client_id + 1] AS artist \gset
\set ready 1
\endif
\set seq :seq + 1
\set bid :idbase + :client_id * 1000000000 + :seq
\set start_s 1893492000 + :seq * 86400
\set end_s :start_s + 3600
\set priority 0
\set version 1

\startpipeline
BEGIN;
SELECT set_config('app.tenant_id', :tenant, true);
SELECT pg_advisory_xact_lock(hashtextextended(:tenant || '/' || :artist, 0)), EXISTS (SELECT 1 FROM artists WHERE id = :artist::uuid), (NULL::uuid IS NULL OR EXISTS (SELECT 1 FROM projects WHERE id = NULL::uuid)), t.id, t.name, t.hold_ttl_minutes, t.hold_max_minutes, t.pencil_ttl_hours, t.challenge_window_hours FROM tenants AS t WHERE t.id = :tenant::uuid;
SELECT b.id, b.artist_id, b.project_id, (extract(epoch FROM b.start_time) * 1000000)::int8, (extract(epoch FROM b.end_time) * 1000000)::int8, b.status, b.priority, (extract(epoch FROM b.expires_at) * 1000000)::int8, b.version, b.title, b.notes, b.status_reason, b.challenge_by_booking_id, (extract(epoch FROM b.challenge_deadline) * 1000000)::int8, b.created_by, (extract(epoch FROM b.created_at) * 1000000)::int8, (extract(epoch FROM b.updated_at) * 1000000)::int8, EXISTS (SELECT 1 FROM bookings AS p WHERE p.tenant_id = b.tenant_id AND p.challenge_by_booking_id = b.id) AS is_challenger FROM bookings AS b WHERE b.artist_id = :artist::uuid AND b.status IN ('hold', 'pencil', 'confirmed') AND tstzrange(b.start_time, b.end_time, '[)') && tstzmultirange(tstzrange(to_timestamp(:start_s), to_timestamp(:end_s), '[)')) ORDER BY b.start_time, b.id;
\endpipeline
\startpipeline
INSERT INTO bookings (tenant_id, id, artist_id, project_id, start_time, end_time, status, priority, expires_at, version, title, notes, status_reason, challenge_by_booking_id, challenge_deadline, created_by, created_at, updated_at) VALUES (:tenant::uuid, md5(:bid)::uuid, :artist::uuid, NULL::uuid, to_timestamp(:start_s), to_timestamp(:end_s), :status, :priority::int, :expires::timestamptz, :version::int, NULL, NULL, NULL, NULL::uuid, NULL::timestamptz, :actor, :now::timestamptz, :now::timestamptz);
INSERT INTO booking_events (tenant_id, booking_id, artist_id, type, actor, occurred_at, payload) VALUES (:tenant::uuid, md5(:bid)::uuid, :artist::uuid, :event_type, :actor, :now::timestamptz, :payload::jsonb);
COMMIT;
\endpipeline
