-- Functions and views in the schemas PostgREST exposes (%(schemas)s) that an API role (%(roles)s) may call or read
-- and that act with someone else's rights: a SECURITY DEFINER function, or a view without security_invoker (a view
-- reads its tables as its owner). Each one whose owner can reach a kit table (%(tables)s: a superuser, a role that
-- bypasses RLS, or one with any privilege on it) is a way around the kit's policies unless the plan has it.
-- Extension members are included: an extension's SECURITY DEFINER function is as exposed as a hand-made one.
WITH api_roles AS (
  SELECT r.oid, r.rolname FROM pg_catalog.pg_roles AS r WHERE r.rolname = ANY(%(roles)s::text[])
), kit_tables AS (
  SELECT c.oid, c.oid::regclass::text AS name
    FROM unnest(%(tables)s::text[]) AS t(name) JOIN pg_catalog.pg_class AS c ON c.oid = pg_catalog.to_regclass(t.name)
), acting AS (
  SELECT 'function' AS kind, p.oid::regprocedure::text AS name, p.proowner AS owner,
         (SELECT pg_catalog.array_agg(a.rolname ORDER BY a.rolname) FROM api_roles AS a
           WHERE pg_catalog.has_function_privilege(a.oid, p.oid, 'EXECUTE')) AS callers,
         'SECURITY DEFINER' AS why
    FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
   WHERE n.nspname = ANY(%(schemas)s::text[]) AND p.prosecdef
  UNION ALL
  SELECT 'view', c.oid::regclass::text, c.relowner,
         (SELECT pg_catalog.array_agg(a.rolname ORDER BY a.rolname) FROM api_roles AS a
           WHERE pg_catalog.has_table_privilege(a.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE')),
         'a view read with its owner''s rights (no security_invoker)'
    FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
   WHERE n.nspname = ANY(%(schemas)s::text[]) AND c.relkind IN ('v', 'm')
     AND NOT coalesce('security_invoker=true' = ANY(c.reloptions) OR 'security_invoker=on' = ANY(c.reloptions), false)
)
SELECT x.kind, x.name, o.rolname, x.callers, x.why,
       CASE WHEN o.rolsuper THEN 'a superuser' WHEN o.rolbypassrls THEN 'bypasses row level security'
            ELSE 'holds privileges on them' END,
       (SELECT pg_catalog.array_agg(t.name ORDER BY t.name) FROM kit_tables AS t
         WHERE o.rolsuper OR pg_catalog.has_table_privilege(o.oid, t.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'))
  FROM acting AS x JOIN pg_catalog.pg_roles AS o ON o.oid = x.owner
 WHERE x.callers IS NOT NULL
   AND (o.rolsuper OR EXISTS (SELECT FROM kit_tables AS t
                               WHERE pg_catalog.has_table_privilege(o.oid, t.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')))
 ORDER BY 1, 2
