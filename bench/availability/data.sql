-- bench/availability/data.sql: the benchmark's data set, generated in SQL (run by `run` as the
-- PostgreSQL superuser, which bypasses row-level security; nothing here goes through the API).
--
-- psql variables (set by run with -v):
--   base        first instant of the data range (UTC, an hour boundary), e.g. now - 730 days
--   gen_now     the generation instant: bookings ending before it are in the past
--   days        length of the data range in days
--   tenants     number of tenants (the target artist is in tenant 0)
--   artists     number of artists (the target artist is artist 0)
--   target_n    bookings of the target artist
--   total_n     bookings in total
--
-- Shape (deterministic: statuses and durations come from hashint8 of the row number, ids from md5):
--   * artist a belongs to tenant a % tenants; artist 0 (Europe/Berlin) is the target;
--   * every artist's bookings sit on evenly spaced slots over the range, so pencil/confirmed
--     never overlap (bookings_no_overlap); holds start 60 minutes before their slot and so
--     sometimes overlap the previous booking, as holds may;
--   * the target: target_n slots (~157 min apart over 3 years, ~280 per 31 days), 30-120 min
--     long; the others: (total_n - target_n) / (artists - 1) slots each (~26.5 h apart),
--     1-10 h long;
--   * status mix, past (slot starts before gen_now): 62 % confirmed, 15 % released, 15 % expired,
--     8 % cancelled; future: 50 % confirmed, 15 % pencil, 10 % hold, 10 % released,
--     7 % expired, 8 % cancelled. Active holds/pencils expire 1-3 days after gen_now (run
--     pushes them forward again when a reused database's would lapse), so the sweeper has
--     nothing to do during a run;
--   * rows are inserted in created_at order (as a live system writes them), so one artist's
--     bookings are spread over the heap, not clustered;
--   * availability: the target has weekly windows (Mon-Fri 09:00-18:00, Fri 22:00-04:00 overnight,
--     Sat 12:00-16:00, Europe/Berlin) and an override every 14 days over the range (alternately
--     a day off and 12:00-16:00); every third other artist has Mon-Fri 09:00-18:00; the rest
--     have no row (always available).
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '256MB';
BEGIN;

INSERT INTO tenants (id, name, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(t::text, 12, '0'))::uuid, 'bench availability ' || t,
       :'base'::timestamptz, :'base'::timestamptz
  FROM generate_series(0, :tenants - 1) AS t;

INSERT INTO artists (tenant_id, id, name, timezone, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad((a % :tenants)::text, 12, '0'))::uuid,
       ('00000001-0000-4000-8000-' || lpad(a::text, 12, '0'))::uuid,
       'bench artist ' || a,
       CASE WHEN a = 0 THEN 'Europe/Berlin'
            ELSE (ARRAY['Europe/Berlin', 'Europe/London', 'America/New_York', 'UTC'])[1 + a % 4] END,
       :'base'::timestamptz, :'base'::timestamptz
  FROM generate_series(0, :artists - 1) AS a;

-- g: row number; a: artist; i: slot of the artist; n: slots of the artist.
CREATE TEMP TABLE slots ON COMMIT DROP AS
SELECT g, 0 AS a, g AS i, :target_n AS n
  FROM generate_series(0, :target_n - 1) AS g
UNION ALL
SELECT g, 1 + (g - :target_n) % (:artists - 1), (g - :target_n) / (:artists - 1),
       ceil((:total_n - :target_n)::numeric / (:artists - 1))::int
  FROM generate_series(:target_n, :total_n - 1) AS g;

CREATE TEMP TABLE gen ON COMMIT DROP AS
SELECT s.*, r, slot_start,
       CASE WHEN s.a = 0 THEN interval '30 minutes' * (1 + r % 4)   -- 30..120 min
            ELSE interval '1 hour' * (1 + r % 10) END AS dur,       -- 1..10 h
       slot_start < :'gen_now'::timestamptz AS past
  FROM slots AS s,
       LATERAL (SELECT abs(hashint8(s.g::bigint)::bigint) AS r) AS h,
       LATERAL (SELECT :'base'::timestamptz + interval '15 minutes' *
                       floor(s.i * (:days * 96.0 / s.n)) AS slot_start) AS t;

CREATE TEMP TABLE rows ON COMMIT DROP AS
SELECT g, a, i, slot_start, dur, r, st,
       CASE WHEN st = 'hold' THEN slot_start - interval '60 minutes' ELSE slot_start END AS start_time,
       -- booked 1..60 days ahead, never after generation
       least(slot_start - interval '1 day' * (1 + (r / 7) % 60),
             :'gen_now'::timestamptz - interval '1 second' * (g % 100000)) AS created_at
  FROM gen,
       LATERAL (SELECT (r / 100) % 100 AS p) AS pct,
       LATERAL (SELECT CASE WHEN past THEN
                  CASE WHEN p < 62 THEN 'confirmed' WHEN p < 77 THEN 'released'
                       WHEN p < 92 THEN 'expired' ELSE 'cancelled' END
                ELSE
                  CASE WHEN p < 50 THEN 'confirmed' WHEN p < 65 THEN 'pencil' WHEN p < 75 THEN 'hold'
                       WHEN p < 85 THEN 'released' WHEN p < 92 THEN 'expired' ELSE 'cancelled' END
                END AS st) AS s;

-- Bulk load: the secondary indexes and the exclusion constraint are dropped and re-created
-- from their own definitions (pg_get_indexdef / pg_get_constraintdef) after the INSERT, which
-- is ~5x faster than maintaining two GiST indexes row by row; re-adding bookings_no_overlap
-- also proves the data respects it. Foreign-key triggers are skipped (session_replication_role
-- = replica; every key is valid by construction).
CREATE TEMP TABLE saved_ddl ON COMMIT DROP AS
SELECT 1 AS ord, format('ALTER TABLE bookings ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)) AS ddl,
       format('ALTER TABLE bookings DROP CONSTRAINT %I', conname) AS drop_ddl
  FROM pg_constraint WHERE conrelid = 'bookings'::regclass AND contype = 'x'
UNION ALL
SELECT 2, pg_get_indexdef(i.indexrelid), format('DROP INDEX %s', i.indexrelid::regclass)
  FROM pg_index AS i
 WHERE i.indrelid = 'bookings'::regclass AND NOT i.indisprimary
   AND NOT EXISTS (SELECT FROM pg_constraint AS c WHERE c.conindid = i.indexrelid);
SELECT drop_ddl FROM saved_ddl ORDER BY ord, ddl \gexec
SET LOCAL session_replication_role = replica;

INSERT INTO bookings (tenant_id, id, artist_id, start_time, end_time, status, priority, expires_at,
                      title, status_reason, created_by, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad((a % :tenants)::text, 12, '0'))::uuid,
       md5('bench-booking-' || g)::uuid,
       ('00000001-0000-4000-8000-' || lpad(a::text, 12, '0'))::uuid,
       start_time, start_time + dur, st, 0,
       CASE st WHEN 'confirmed' THEN NULL WHEN 'cancelled' THEN NULL
               WHEN 'hold' THEN :'gen_now'::timestamptz + interval '1 day' + interval '1 minute' * (r % 1440)
               WHEN 'pencil' THEN :'gen_now'::timestamptz + interval '2 days' + interval '1 minute' * (r % 1440)
               ELSE created_at + interval '30 minutes' END,
       'Booking ' || a || '/' || i,
       CASE st WHEN 'released' THEN 'plans changed' WHEN 'cancelled' THEN 'cancelled by client' END,
       'bench', created_at,
       CASE WHEN st IN ('hold', 'pencil', 'confirmed') THEN created_at ELSE created_at + interval '30 minutes' END
  FROM rows
 ORDER BY created_at, g;

SET LOCAL session_replication_role = origin;
SELECT ddl FROM saved_ddl ORDER BY ord, ddl \gexec

INSERT INTO artist_availability (tenant_id, artist_id, weekly, overrides, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad((a % :tenants)::text, 12, '0'))::uuid,
       ('00000001-0000-4000-8000-' || lpad(a::text, 12, '0'))::uuid,
       CASE WHEN a = 0 THEN
         '[{"day":"mon","start":"09:00","end":"18:00"},{"day":"tue","start":"09:00","end":"18:00"},
           {"day":"wed","start":"09:00","end":"18:00"},{"day":"thu","start":"09:00","end":"18:00"},
           {"day":"fri","start":"09:00","end":"18:00"},{"day":"fri","start":"22:00","end":"04:00"},
           {"day":"sat","start":"12:00","end":"16:00"}]'::jsonb
       ELSE
         '[{"day":"mon","start":"09:00","end":"18:00"},{"day":"tue","start":"09:00","end":"18:00"},
           {"day":"wed","start":"09:00","end":"18:00"},{"day":"thu","start":"09:00","end":"18:00"},
           {"day":"fri","start":"09:00","end":"18:00"}]'::jsonb
       END,
       CASE WHEN a = 0 THEN
         (SELECT jsonb_agg(jsonb_build_object(
                   'date', to_char(:'base'::date + k * 14 + 3, 'YYYY-MM-DD'),
                   'windows', CASE WHEN k % 2 = 0 THEN '[]'::jsonb
                                   ELSE '[{"start":"12:00","end":"16:00"}]'::jsonb END)
                 ORDER BY k)
            FROM generate_series(0, (:days - 4) / 14) AS k)
       ELSE '[]'::jsonb END,
       :'base'::timestamptz
  FROM generate_series(0, :artists - 1) AS a
 WHERE a = 0 OR a % 3 = 1;

COMMIT;
