-- Everything a deploy could change in the database's own schemas, one row per fact (kind, object, detail), in a
-- stable order: schemas and their ACLs, relations (kind, RLS, options, ACL), columns (type, NOT NULL, default),
-- constraints (definition, validated), indexes, triggers (definition, enabled), policies (command, roles,
-- expressions), functions (signature, body and definition digests, settings, security, ACL), comments on policies. Two snapshots
-- are equal exactly when a deploy changed none of it. Roles are cluster-wide and not part of it. ACL entries are
-- listed sorted: the same privileges granted in another order are the same access.
WITH schemas AS (
  SELECT n.oid, n.nspname FROM pg_namespace AS n
   WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
)
SELECT 'schema' AS kind, s.nspname::text AS object, coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(n.nspacl) AS x), '') AS detail
  FROM schemas AS s JOIN pg_namespace AS n ON n.oid = s.oid
UNION ALL
SELECT 'relation', s.nspname || '.' || c.relname,
       concat_ws(' ', c.relkind, 'rls=' || c.relrowsecurity, 'force=' || c.relforcerowsecurity,
                 'options=' || coalesce(c.reloptions::text, ''), 'acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(c.relacl) AS x), ''),
                 'owner=' || pg_get_userbyid(c.relowner))
  FROM pg_class AS c JOIN schemas AS s ON s.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT 'column', s.nspname || '.' || c.relname || '.' || a.attname,
       concat_ws(' ', format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'NOT NULL' END,
                 'default=' || pg_get_expr(d.adbin, d.adrelid), 'acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) AS x), ''))
  FROM pg_attribute AS a
  JOIN pg_class AS c ON c.oid = a.attrelid
  JOIN schemas AS s ON s.oid = c.relnamespace
  LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', s.nspname || '.' || c.relname || '.' || k.conname,
       pg_get_constraintdef(k.oid) || ' validated=' || k.convalidated
  FROM pg_constraint AS k
  JOIN pg_class AS c ON c.oid = k.conrelid
  JOIN schemas AS s ON s.oid = c.relnamespace
UNION ALL
SELECT 'index', s.nspname || '.' || i.relname, pg_get_indexdef(i.oid)
  FROM pg_index AS x
  JOIN pg_class AS i ON i.oid = x.indexrelid
  JOIN schemas AS s ON s.oid = i.relnamespace
UNION ALL
SELECT 'trigger', s.nspname || '.' || c.relname || '.' || t.tgname,
       pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
  FROM pg_trigger AS t
  JOIN pg_class AS c ON c.oid = t.tgrelid
  JOIN schemas AS s ON s.oid = c.relnamespace
 WHERE NOT t.tgisinternal
UNION ALL
SELECT 'policy', s.nspname || '.' || c.relname || '.' || p.polname,
       concat_ws(' ', p.polcmd, p.polpermissive, p.polroles::text, pg_get_expr(p.polqual, p.polrelid),
                 pg_get_expr(p.polwithcheck, p.polrelid), 'comment=' || obj_description(p.oid, 'pg_policy'))
  FROM pg_policy AS p
  JOIN pg_class AS c ON c.oid = p.polrelid
  JOIN schemas AS s ON s.oid = c.relnamespace
UNION ALL
SELECT 'function', s.nspname || '.' || f.proname || '(' || pg_get_function_identity_arguments(f.oid) || ')',
       concat_ws(' ', 'returns=' || pg_get_function_result(f.oid), 'body=' || md5(f.prosrc),
                 -- the whole definition: language, volatility, strictness, parallel mode, leakproof, cost (not for aggregates)
                 'definition=' || CASE WHEN f.prokind <> 'a' THEN md5(pg_get_functiondef(f.oid)) END,
                 'config=' || coalesce(f.proconfig::text, ''), 'definer=' || f.prosecdef,
                 'acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(f.proacl) AS x), ''), 'owner=' || pg_get_userbyid(f.proowner))
  FROM pg_proc AS f JOIN schemas AS s ON s.oid = f.pronamespace
ORDER BY 1, 2, 3;
