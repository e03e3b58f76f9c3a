SELECT r.rolbypassrls AS bypass_rls, r.rolcanlogin AS login, r.rolinherit AS inherit,
       (SELECT coalesce(array_agg(g.rolname::text ORDER BY g.rolname), '{}')
          FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
         WHERE m.member = r.oid) AS member_of
FROM pg_catalog.pg_roles r
WHERE r.rolname = %(name)s
