-- The roles PostgREST's login role `authenticator` may switch to: what a stand-in for it must be a member of.
SELECT coalesce(array_agg(g.rolname::text ORDER BY g.rolname), '{}')
  FROM pg_catalog.pg_auth_members m
  JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
  JOIN pg_catalog.pg_roles a ON a.oid = m.member
 WHERE a.rolname = 'authenticator';
