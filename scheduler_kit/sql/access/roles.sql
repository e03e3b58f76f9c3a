-- The roles the actors' tokens name: whether each exists, bypasses RLS, may be taken by the login role, and which
-- roles' privileges it holds (itself and every role it inherits from).
SELECT r.name, g.oid IS NOT NULL, coalesce(g.rolbypassrls, false),
       g.oid IS NOT NULL AND (g.rolname = session_user OR pg_catalog.pg_has_role(session_user, g.oid, 'MEMBER')),
       coalesce(ARRAY(SELECT h.rolname::text FROM pg_catalog.pg_roles h
                       WHERE g.oid IS NOT NULL AND pg_catalog.pg_has_role(g.oid, h.oid, 'USAGE') ORDER BY 1), '{}')
  FROM unnest(%(roles)s::text[]) AS r(name)
  LEFT JOIN pg_catalog.pg_roles g ON g.rolname = r.name
 ORDER BY r.name;
