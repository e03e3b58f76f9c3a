-- What a deploy leaves in the kit's schemas, independent of the database's name and of object ids: tables and
-- columns, constraints, indexes, triggers, functions (definition digest, settings, ACL), policies, RLS flags and
-- every ACL. Two databases that give the same rows hold the same model.
SELECT 'relation' AS kind, c.oid::regclass::text AS name,
       jsonb_build_object('kind', c.relkind, 'rls', c.relrowsecurity, 'force', c.relforcerowsecurity,
                          'acl', (SELECT jsonb_agg(a::text ORDER BY a::text) FROM unnest(c.relacl) a)) AS detail
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('public', 'scheduler_private') AND c.relkind IN ('r', 'p', 'v', 'S', 'i')
UNION ALL
SELECT 'column', a.attrelid::regclass::text || '.' || a.attname,
       jsonb_build_object('type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
                          'default', pg_get_expr(d.adbin, d.adrelid),
                          'acl', (SELECT jsonb_agg(x::text ORDER BY x::text) FROM unnest(a.attacl) x))
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE n.nspname IN ('public', 'scheduler_private') AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname,
       jsonb_build_object('definition', pg_get_constraintdef(oid), 'validated', convalidated)
  FROM pg_constraint WHERE connamespace IN ('public'::regnamespace, 'scheduler_private'::regnamespace)
UNION ALL
SELECT 'index', indexrelid::regclass::text, jsonb_build_object('definition', pg_get_indexdef(indexrelid))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace IN ('public'::regnamespace, 'scheduler_private'::regnamespace)
UNION ALL
SELECT 'trigger', tgrelid::regclass::text || '.' || tgname,
       jsonb_build_object('definition', pg_get_triggerdef(oid), 'enabled', tgenabled)
  FROM pg_trigger WHERE NOT tgisinternal
   AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace IN ('public'::regnamespace, 'scheduler_private'::regnamespace))
UNION ALL
SELECT 'function', p.oid::regprocedure::text,
       jsonb_build_object('digest', md5(pg_get_functiondef(p.oid)), 'config', p.proconfig, 'definer', p.prosecdef,
                          'acl', (SELECT jsonb_agg(a::text ORDER BY a::text) FROM unnest(p.proacl) a))
  FROM pg_proc p WHERE p.pronamespace IN ('public'::regnamespace, 'scheduler_private'::regnamespace)
UNION ALL
SELECT 'policy', schemaname || '.' || tablename || '.' || policyname,
       jsonb_build_object('permissive', permissive, 'roles', roles, 'cmd', cmd, 'qual', qual, 'with_check', with_check)
  FROM pg_policies WHERE schemaname IN ('public', 'scheduler_private')
UNION ALL
SELECT 'schema', nspname, jsonb_build_object('acl', (SELECT jsonb_agg(a::text ORDER BY a::text) FROM unnest(nspacl) a))
  FROM pg_namespace WHERE nspname IN ('public', 'scheduler_private', 'auth')
ORDER BY 1, 2
