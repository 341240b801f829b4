-- 0002_write_guard.sql: a guard for writes that commit in the same round trip.
--
-- The server writes a decision's rows, their events and COMMIT in one pipeline. Each UPDATE is
-- guarded by the version it read (WHERE version = $n); this function turns "no row matched"
-- into an error inside that pipeline, so the COMMIT behind it is skipped and the transaction
-- runs again (SQLSTATE 40001 is retried by the server), instead of committing a partial
-- decision. The artist lock makes a mismatch impossible in practice; this is the backstop.

CREATE FUNCTION ptool_expect_one_row(p_count bigint, p_what text) RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_count IS DISTINCT FROM 1 THEN
        RAISE EXCEPTION '% changed during the transaction (% rows matched)', p_what, p_count
            USING ERRCODE = 'serialization_failure';
    END IF;
END
$$;

COMMENT ON FUNCTION ptool_expect_one_row(bigint, text) IS
    'Raises serialization_failure (40001) unless p_count = 1; guards versioned UPDATEs.';

REVOKE ALL ON FUNCTION ptool_expect_one_row(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ptool_expect_one_row(bigint, text) TO ptool_app;
