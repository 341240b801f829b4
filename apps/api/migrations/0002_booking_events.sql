-- 0002_booking_events.sql: the append-only audit log of booking changes (SPEC §6) and its
-- real-time hint (NOTIFY booking_events).
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
