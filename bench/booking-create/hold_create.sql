-- One hold create (POST /api/v1/bookings, status hold), statement by statement and round trip by
-- round trip as the server runs it (usecase/bookings.cpp create_in; store/booking_store.cpp
-- lock_for_create and write_changes; platform/pg_transaction.cpp), for `pgbench -M extended`
-- (unnamed statements, like libpq's PQsendQueryParams) as the application role ptool_app, so
-- row-level security applies. Matches the server's statements since commit 3c359fb (two round
-- trips) and the calendar's btree bounds; updated for issue 4 (the availability read in round
-- trip 1, is_challenger as a hashed IN, the availability_overridden column). The results in
-- BENCHMARKS.md's booking-create section predate that update.
--
--   round trip 1  BEGIN + set_config('app.tenant_id', ...) (deferred by with_tenant_transaction)
--                 + lock_artist_sql (advisory lock, artist/project checks, tenant settings)
--                 + calendar_sql (the artist's active bookings overlapping the range)
--                 + availability_statement (the artist's zone and preferences)       (pipelined)
--   round trip 2  INSERT booking + INSERT event + COMMIT                              (pipelined)
--
-- The SQL text is booking_store.cpp's, with :variables for its $n parameters (pgbench numbers
-- each occurrence as its own $n, so a repeated parameter is sent twice). Where pgbench
-- cannot supply a parameter (its variables are numbers or fixed -D strings; it cannot bind NULL
-- or build a string per transaction), the parameter is an expression instead:
--   - NULL parameters (projectId, title, notes, statusReason, challenge) are NULL literals;
--   - the new booking's id is md5(:bid)::uuid (random-looking, like the server's v4 uuids);
--   - start/end are to_timestamp(:start_s)/to_timestamp(:end_s), and the calendar's
--     '{[start,end)}' multirange literal is tstzmultirange(tstzrange(...)).
-- Fixed per run (-D, set by ./run): tenant, actor, now (RFC 3339), expires (now + hold TTL),
-- status=hold, event_type=booking.held, payload (a real booking.held payload captured from the
-- server), artists (comma-separated ids: client k books artists[k + 1], so no two clients share
-- an artist lock), seq (first slot number), idbase (keeps the booking ids of separate pgbench
-- runs apart), ready=0. Each transaction books its artist's next day, 10:00-11:00 UTC counted
-- from 2030-01-01: ranges never overlap, and an artist has one booking a day. A client's first
-- transaction also looks up its artist (one SELECT, once per client and run).

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
SELECT b.id, b.artist_id, b.project_id, (extract(epoch FROM b.start_time) * 1000000)::int8, (extract(epoch FROM b.end_time) * 1000000)::int8, b.status, b.priority, (extract(epoch FROM b.expires_at) * 1000000)::int8, b.version, b.title, b.notes, b.status_reason, b.challenge_by_booking_id, (extract(epoch FROM b.challenge_deadline) * 1000000)::int8, b.created_by, (extract(epoch FROM b.created_at) * 1000000)::int8, (extract(epoch FROM b.updated_at) * 1000000)::int8, b.id IN (SELECT p.challenge_by_booking_id FROM bookings AS p WHERE p.challenge_by_booking_id IS NOT NULL) AS is_challenger, b.availability_overridden FROM bookings AS b WHERE b.artist_id = :artist::uuid AND b.status IN ('hold', 'pencil', 'confirmed') AND tstzrange(b.start_time, b.end_time, '[)') && tstzmultirange(tstzrange(to_timestamp(:start_s), to_timestamp(:end_s), '[)')) AND b.start_time < upper(tstzmultirange(tstzrange(to_timestamp(:start_s), to_timestamp(:end_s), '[)'))) AND b.start_time > lower(tstzmultirange(tstzrange(to_timestamp(:start_s), to_timestamp(:end_s), '[)'))) - interval '31 days' ORDER BY b.start_time, b.id;
SELECT ar.timezone, av.weekly::text, av.overrides::text FROM artists AS ar LEFT JOIN artist_availability AS av ON av.tenant_id = ar.tenant_id AND av.artist_id = ar.id WHERE ar.id = :artist::uuid;
\endpipeline
\startpipeline
INSERT INTO bookings (tenant_id, id, artist_id, project_id, start_time, end_time, status, priority, expires_at, version, title, notes, status_reason, challenge_by_booking_id, challenge_deadline, availability_overridden, created_by, created_at, updated_at) VALUES (:tenant::uuid, md5(:bid)::uuid, :artist::uuid, NULL::uuid, to_timestamp(:start_s), to_timestamp(:end_s), :status, :priority::int, :expires::timestamptz, :version::int, NULL, NULL, NULL, NULL::uuid, NULL::timestamptz, false, :actor, :now::timestamptz, :now::timestamptz);
INSERT INTO booking_events (tenant_id, booking_id, artist_id, type, actor, occurred_at, payload) VALUES (:tenant::uuid, md5(:bid)::uuid, :artist::uuid, :event_type, :actor, :now::timestamptz, :payload::jsonb);
COMMIT;
\endpipeline
