-- Every stand-in for authenticator in the cluster (roles are cluster-wide): whether it can still log in, whether it
-- has a session now, and the bookkeeping its audit wrote into COMMENT ON ROLE (created_at, budget_s; none for stand-ins
-- made before audits recorded them).
SELECT r.rolname::text AS name,
       r.rolvaliduntil AS valid_until,
       pg_catalog.shobj_description(r.oid, 'pg_authid') AS comment,
       EXISTS (SELECT FROM pg_catalog.pg_stat_activity AS s WHERE s.usename = r.rolname) AS has_session,
       pg_catalog.now() AS now
  FROM pg_catalog.pg_roles AS r
 WHERE r.rolname LIKE 'schedkit\_audit\_%'
 ORDER BY 1
