-- Revokes every privilege on one object held by a role the model does not list (the owner keeps its own): table
-- and column privileges, the privileges on sequences the table owns, EXECUTE on a function, schema privileges.
-- Idempotent, so `make sql` writes it too; the grantees come from the live ACL, which a migration file cannot know.
DO $sweep$
DECLARE
  object_type constant text := {{object_type}};
  object_name constant text := {{object_name}};
  listed constant text[] := {{listed}};
  target_oid oid;
  owner_oid oid;
  acl aclitem[];
  item record;
BEGIN
  IF object_type = 'table' THEN
    SELECT c.oid, c.relowner, c.relacl INTO target_oid, owner_oid, acl
      FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(object_name);
  ELSIF object_type = 'function' THEN
    SELECT p.oid, p.proowner, coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner)) INTO target_oid, owner_oid, acl
      FROM pg_catalog.pg_proc p WHERE p.oid = pg_catalog.to_regprocedure(object_name);
  ELSE
    SELECT n.oid, n.nspowner, n.nspacl INTO target_oid, owner_oid, acl
      FROM pg_catalog.pg_namespace n WHERE n.nspname = object_name;
  END IF;
  IF target_oid IS NULL THEN
    RETURN;
  END IF;
  FOR item IN
    SELECT DISTINCT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END AS grantee
      FROM pg_catalog.aclexplode(acl) x
     WHERE x.grantee <> owner_oid
       AND NOT (CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END = ANY (listed))
  LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM %s', pg_catalog.upper(object_type),
      CASE object_type WHEN 'table' THEN target_oid::regclass::text
                       WHEN 'function' THEN target_oid::regprocedure::text
                       ELSE pg_catalog.quote_ident(object_name) END,
      item.grantee);
  END LOOP;
  IF object_type <> 'table' THEN
    RETURN;
  END IF;
  -- Column privileges survive REVOKE ALL ON TABLE.
  FOR item IN
    SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END AS grantee,
           pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(a.attname), ', ') AS columns
      FROM pg_catalog.pg_attribute a, pg_catalog.aclexplode(a.attacl) x
     WHERE a.attrelid = target_oid AND a.attnum > 0 AND NOT a.attisdropped AND x.grantee <> owner_oid
       AND NOT (CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END = ANY (listed))
     GROUP BY 1
  LOOP
    EXECUTE pg_catalog.format('REVOKE ALL (%s) ON TABLE %s FROM %s', item.columns, target_oid::regclass::text, item.grantee);
  END LOOP;
  -- Sequences the table owns (serial or identity columns): the kit grants them to nobody.
  FOR item IN
    SELECT DISTINCT s.oid::regclass::text AS sequence,
           CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END AS grantee
      FROM pg_catalog.pg_depend d
      JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
     CROSS JOIN pg_catalog.aclexplode(s.relacl) x
     WHERE d.refobjid = target_oid AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
       AND x.grantee <> s.relowner
  LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE %s FROM %s', item.sequence, item.grantee);
  END LOOP;
END
$sweep$
