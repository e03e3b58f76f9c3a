SELECT rolbypassrls AS bypass_rls, rolcanlogin AS login, rolinherit AS inherit
FROM pg_catalog.pg_roles
WHERE rolname = %(name)s
