-- Only when the membership is missing (as alter.sql, a cluster-wide row is written only when something changes).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_auth_members m
                   JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                   JOIN pg_catalog.pg_roles r ON r.oid = m.member
                  WHERE g.rolname = {{role_name}} AND r.rolname = {{member_name}}) THEN
    GRANT {{role}} TO {{member}};
  END IF;
END
$$
