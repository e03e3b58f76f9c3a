-- Narrows one object's privileges to at most its final ACL, in the transaction that creates or re-creates it, so
-- that it is never reachable beyond what the model finally grants (Supabase's default privileges give the API roles
-- ALL on every new table and function in `public`; a function is born with EXECUTE for PUBLIC). Narrowing only:
-- a privilege the final ACL lists is left as it is, and granting stays the Privileges resources' job (whose apply
-- starts with this same block: every role's privileges beyond the model go, then the model's are granted). Covers
-- table and column privileges, the sequences the table owns (the kit grants them to nobody), EXECUTE on a function,
-- schema privileges. `final_acl`: {"grantee": {"privileges": [...], "columns": {"UPDATE": ["col", ...]}}}, PUBLIC by
-- that name. Idempotent, so `make sql` writes it too.
DO $narrow$
DECLARE
  object_type constant text := {{object_type}};
  object_name constant text := {{object_name}};
  final constant jsonb := {{final_acl}};
  target_oid oid;
  owner_oid oid;
  acl aclitem[];
  target text;
  item record;
BEGIN
  IF object_type = 'table' THEN
    SELECT c.oid, c.relowner, coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner)), c.oid::regclass::text
      INTO target_oid, owner_oid, acl, target
      FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(object_name);
  ELSIF object_type = 'function' THEN
    SELECT p.oid, p.proowner, coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner)), p.oid::regprocedure::text
      INTO target_oid, owner_oid, acl, target
      FROM pg_catalog.pg_proc p WHERE p.oid = pg_catalog.to_regprocedure(object_name);
  ELSE
    SELECT n.oid, n.nspowner, coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner)),
           pg_catalog.quote_ident(n.nspname)
      INTO target_oid, owner_oid, acl, target
      FROM pg_catalog.pg_namespace n WHERE n.nspname = object_name;
  END IF;
  IF target_oid IS NULL THEN
    RETURN;
  END IF;
  FOR item IN
    SELECT DISTINCT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END AS grantee,
           CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END AS grantee_sql,
           x.privilege_type AS privilege
      FROM pg_catalog.aclexplode(acl) x
     WHERE x.grantee <> owner_oid
  LOOP
    IF NOT coalesce((final -> item.grantee -> 'privileges') ? item.privilege, false) THEN
      EXECUTE pg_catalog.format('REVOKE %s ON %s %s FROM %s', item.privilege, pg_catalog.upper(object_type), target,
                                item.grantee_sql);
    END IF;
  END LOOP;
  IF object_type <> 'table' THEN
    RETURN;
  END IF;
  -- Column privileges are their own ACL entries; keep only the columns the final ACL lists for that privilege.
  FOR item IN
    SELECT DISTINCT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END AS grantee,
           CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END AS grantee_sql,
           x.privilege_type AS privilege, a.attname::text AS column_name
      FROM pg_catalog.pg_attribute a, pg_catalog.aclexplode(a.attacl) x
     WHERE a.attrelid = target_oid AND a.attnum > 0 AND NOT a.attisdropped AND x.grantee <> owner_oid
  LOOP
    IF NOT coalesce((final -> item.grantee -> 'columns' -> item.privilege) ? item.column_name, false) THEN
      EXECUTE pg_catalog.format('REVOKE %s (%I) ON TABLE %s FROM %s', item.privilege, item.column_name, target,
                                item.grantee_sql);
    END IF;
  END LOOP;
  FOR item IN
    SELECT DISTINCT s.oid::regclass::text AS sequence,
           CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END AS grantee_sql
      FROM pg_catalog.pg_depend d
      JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
     CROSS JOIN pg_catalog.aclexplode(s.relacl) x
     WHERE d.refobjid = target_oid AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
       AND x.grantee <> s.relowner
  LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE %s FROM %s', item.sequence, item.grantee_sql);
  END LOOP;
END
$narrow$
