-- Which API roles could write the admin lookup table in a way that makes someone an admin: the role may INSERT or
-- UPDATE its id or role column (a table or column grant, held directly or through membership) and row level
-- security does not stop it (disabled, the role bypasses it, or a permissive policy for that command applies to
-- the role). Policy expressions cannot be judged here, so any applicable policy counts as open. No rows when the
-- table does not exist yet (target postgres creates it in the same deployment).
WITH lookup AS (
  SELECT c.oid, c.relrowsecurity AS rls
    FROM pg_catalog.pg_class c
   WHERE c.oid = pg_catalog.to_regclass({{table}})
),
api_role AS (
  SELECT r.oid, r.rolname, r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname = ANY ({{roles}}::text[])
),
command AS (
  SELECT * FROM (VALUES ('INSERT', 'a'), ('UPDATE', 'w')) AS v(name, polcmd)
),
judged AS (
  SELECT r.rolname AS role, k.name AS command,
         pg_catalog.has_table_privilege(r.oid, l.oid, k.name) AS on_table,
         ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = l.oid AND a.attname = ANY (ARRAY[{{id_column}}, {{role_column}}]::name[])
                  AND pg_catalog.has_column_privilege(r.oid, l.oid, a.attnum, k.name)
                ORDER BY a.attname) AS columns,
         CASE
           WHEN NOT l.rls THEN 'row level security is disabled on the table'
           WHEN r.rolbypassrls THEN 'the role bypasses row level security'
           ELSE (SELECT 'policy ' || pg_catalog.string_agg(pg_catalog.quote_ident(p.polname), ', ' ORDER BY p.polname)
                        || ' applies to it'
                   FROM pg_catalog.pg_policy p
                  WHERE p.polrelid = l.oid AND p.polcmd IN ('*', k.polcmd)
                    AND (0::oid = ANY (p.polroles)
                         OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p.polroles) AS pr(oid)
                                     WHERE pg_catalog.pg_has_role(r.oid, pr.oid, 'MEMBER'))))
         END AS open_because
    FROM lookup l CROSS JOIN api_role r CROSS JOIN command k
)
SELECT role, command, on_table, columns, open_because
  FROM judged
 WHERE cardinality(columns) > 0 AND open_because IS NOT NULL
 ORDER BY role, command
