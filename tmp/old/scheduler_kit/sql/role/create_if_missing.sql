DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {{role_name}}) THEN
    CREATE ROLE {{name}} NOLOGIN;
  END IF;
END
$$
