-- The roles a login role is a direct member of, and whether it holds any with ADMIN OPTION.
SELECT g.rolname::text AS role, m.admin_option
  FROM pg_catalog.pg_auth_members AS m
  JOIN pg_catalog.pg_roles AS g ON g.oid = m.roleid
  JOIN pg_catalog.pg_roles AS a ON a.oid = m.member
 WHERE a.rolname = %(name)s
 ORDER BY 1
