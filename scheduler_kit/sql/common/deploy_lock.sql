-- The first statements of every deploy transaction, sent together (one round trip; no parameters, so the simple
-- query protocol runs both, in the caller's transaction).
-- A deploy waits for locks a bounded time instead of hanging behind a long transaction (the deploy lock below
-- included).
SET LOCAL lock_timeout = '30s';
-- One writer of the kit's objects at a time per database: PostgreSQL's catalog updates (GRANT, ALTER TABLE on the
-- same table) fail with "tuple concurrently updated" when the engine runs them in parallel, and two deploys of
-- the same database must not interleave. Released at commit or rollback.
SELECT pg_catalog.pg_advisory_xact_lock(7305123984112650241)
