-- PUBLIC is oid 0 in ACLs; NULL means the role does not exist.
SELECT CASE WHEN %(grantee)s = 'PUBLIC' THEN 0::oid ELSE (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %(grantee)s) END AS oid
