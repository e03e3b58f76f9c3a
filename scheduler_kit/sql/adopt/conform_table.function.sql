-- Brings one kit table to the shape its .sql file declares, whether the kit created it or found it (a database that
-- already ran the seed's migration). A session-local function: it exists only in the deploy's own transaction, so
-- nothing of it stays behind, and `make sql`'s file carries the same text.
--
-- p_reference is the table's .sql file applied to a temporary table of the same name: the declared shape, read from
-- the catalog after PostgreSQL's own normalisation. What it does with the real table p_table:
--   * missing: runs p_definition (the .sql file) as it is;
--   * present: drops triggers, policies and indexes the kit does not declare on it, adds missing columns, converts column
--     types it can convert without losing data (integer -> bigint, varchar -> text, timestamp -> timestamptz read as
--     UTC, json -> jsonb, ...), sets defaults and NOT NULL, adds or replaces the declared constraints and indexes,
--     validates NOT VALID ones whose rows now pass, and drops constraints the file does not declare.
-- Every rule is counted over the rows first, in one scan, as the rows will read once converted. A rule the rows break
-- is refused (all of them at once, in one error, before anything is changed) unless its name is in p_not_valid: then
-- the constraint is added NOT VALID (new writes are checked, existing rows are left as they are); a NOT NULL the rows
-- break becomes a NOT VALID CHECK named <table>_<column>_not_null until they pass. Rows are never changed.
-- p_not_valid may hold '*': any rule the rows break that can be NOT VALID (`make sql --keep-invalid-rows`).
-- p_recounted: rules of columns the statistics take-over recounts from the history (trigger_update_job_stats): while the
-- kit does not keep the statistics yet, rows breaking them add them NOT VALID, and the take-over validates them.
-- p_kit_triggers and p_kit_policies NULL: the table is shared with the application (users), so nothing of theirs is
-- dropped (no trigger, policy or constraint).
-- p_apply = false changes nothing and returns the same report: what a preview shows.
CREATE OR REPLACE FUNCTION pg_temp.schedkit_conform_table(
  p_table text,
  p_definition text,
  p_reference regclass,
  p_label text,
  p_not_valid text[],
  p_recounted text[],
  p_kit_triggers text[],
  p_kit_policies text[],
  p_apply boolean
) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  target regclass := pg_catalog.to_regclass(p_table);
  short_name text := split_part(p_table, '.', 2);
  qualified text;
  report jsonb := jsonb_build_object('table', p_table, 'exists', target IS NOT NULL, 'rows', 0, 'changes', '[]'::jsonb,
                                     'refusals', '[]'::jsonb, 'not_valid', '[]'::jsonb, 'kept', '[]'::jsonb);
  ref record;
  cur record;
  dependent record;
  found_current boolean;
  conversion text;
  projection text[] := '{}';
  -- The rules to count: {rule, pred (over the converted rows) or keys (a uniqueness), can_defer, definition}.
  probes jsonb := '[]'::jsonb;
  probe jsonb;
  counts jsonb;
  sample jsonb;
  violators bigint;
  drop_plan jsonb := '[]'::jsonb;
  column_plan jsonb := '[]'::jsonb;
  constraint_plan jsonb := '[]'::jsonb;
  index_plan jsonb := '[]'::jsonb;
  item jsonb;
  cur_def text;
  deferred text[];
  saved_triggers text[] := '{}';
  uuid_pattern constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
BEGIN
  IF coalesce(obj_description(to_regclass('public.job_execution_rollups'), 'pg_class') NOT LIKE 'scheduler-kit:%', true) THEN
    p_not_valid := p_not_valid || p_recounted;
  END IF;
  IF target IS NULL THEN
    IF p_apply THEN
      EXECUTE p_definition;
    END IF;
    RETURN report || jsonb_build_object('changes', jsonb_build_array(jsonb_build_object('kind', 'create table',
                                                                                       'name', p_table)));
  END IF;
  qualified := target::text;

  -- Triggers and policies on a kit table that the kit does not declare: removed, so writers meet only the kit's.
  FOR cur IN SELECT t.tgname::text AS name, pg_get_triggerdef(t.oid) AS definition FROM pg_trigger t
              WHERE t.tgrelid = target AND NOT t.tgisinternal AND t.tgname::text <> ALL (p_kit_triggers)
              ORDER BY t.tgname LOOP
    drop_plan := drop_plan || jsonb_build_object('kind', 'drop trigger', 'name', cur.name, 'detail', cur.definition,
                                                 'sql', format('DROP TRIGGER %I ON %s', cur.name, qualified));
  END LOOP;
  FOR cur IN SELECT p.polname::text AS name, pg_get_expr(p.polqual, p.polrelid) AS using_expr,
                    pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr FROM pg_policy p
              WHERE p.polrelid = target AND p.polname::text <> ALL (p_kit_policies) ORDER BY p.polname LOOP
    drop_plan := drop_plan || jsonb_build_object('kind', 'drop policy', 'name', cur.name,
      'detail', concat_ws(' ', 'USING (' || cur.using_expr || ')', 'WITH CHECK (' || cur.check_expr || ')'),
      'sql', format('DROP POLICY %I ON %s', cur.name, qualified));
  END LOOP;

  -- Columns: the converted projection of the rows (what each row reads as once the table has the kit's shape), and
  -- the changes that get there.
  FOR ref IN SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
                    pg_get_expr(d.adbin, d.adrelid) AS default_expr
               FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
              WHERE a.attrelid = p_reference AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LOOP
    SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
           pg_get_expr(d.adbin, d.adrelid) AS default_expr,
           (SELECT t.typcategory FROM pg_type t WHERE t.oid = a.atttypid) AS category
      INTO cur
      FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = target AND a.attname = ref.name AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
      IF ref.not_null AND ref.default_expr IS NULL THEN
        probes := probes || jsonb_build_object('rule', format('%s_%s_present', short_name, ref.name), 'pred', 'true',
          'can_defer', false,
          'definition', format('column %s %s NOT NULL is missing and has no default to fill existing rows',
                               ref.name, ref.type));
      END IF;
      projection := projection || format('%s::%s AS %I', coalesce(ref.default_expr, 'NULL'), ref.type, ref.name);
      column_plan := column_plan || jsonb_build_object('kind', 'add column', 'name', ref.name,
        'detail', concat_ws(' ', ref.type, 'DEFAULT ' || ref.default_expr, CASE WHEN ref.not_null THEN 'NOT NULL' END),
        'sql', format('ALTER TABLE %s ADD COLUMN %I %s%s%s', qualified, ref.name, ref.type,
                      coalesce(' DEFAULT ' || ref.default_expr, ''), CASE WHEN ref.not_null THEN ' NOT NULL' ELSE '' END));
      CONTINUE;
    END IF;

    conversion := NULL;
    IF cur.type = ref.type THEN
      projection := projection || format('%I', ref.name);
    ELSE
      conversion := CASE
        WHEN ref.type = 'bigint' AND cur.type IN ('smallint', 'integer') THEN format('%I::bigint', ref.name)
        WHEN ref.type = 'integer' AND cur.type = 'smallint' THEN format('%I::integer', ref.name)
        WHEN ref.type = 'integer' AND (cur.type IN ('bigint', 'numeric') OR cur.type LIKE 'numeric(%') THEN
          format('CASE WHEN %1$I BETWEEN -2147483648 AND 2147483647 AND %1$I = trunc(%1$I) THEN %1$I::integer END',
                 ref.name)
        WHEN ref.type = 'bigint' AND (cur.type = 'numeric' OR cur.type LIKE 'numeric(%') THEN
          format('CASE WHEN %1$I BETWEEN -9223372036854775808 AND 9223372036854775807 AND %1$I = trunc(%1$I) '
                 'THEN %1$I::bigint END', ref.name)
        WHEN ref.type = 'text' AND cur.category = 'S' THEN format('%I::text', ref.name)
        WHEN ref.type = 'timestamp with time zone' AND cur.type LIKE 'timestamp%without time zone' THEN
          format('(%I AT TIME ZONE ''UTC'')', ref.name)
        WHEN ref.type = 'timestamp with time zone' AND cur.type LIKE 'timestamp(%) with time zone' THEN
          format('%I::timestamptz', ref.name)
        WHEN ref.type = 'jsonb' AND cur.type = 'json' THEN format('%I::jsonb', ref.name)
        WHEN ref.type = 'uuid' AND cur.category = 'S' THEN
          format('CASE WHEN %1$I ~ %2$L THEN %1$I::uuid END', ref.name, uuid_pattern)
      END;
      IF conversion IS NULL THEN
        probes := probes || jsonb_build_object('rule', format('%s_%s_type', short_name, ref.name), 'pred', 'true',
          'can_defer', false, 'uncounted', true,
          'definition', format('column %s is %s; the kit needs %s and cannot convert it without losing data',
                               ref.name, cur.type, ref.type),
          'fix', format('ALTER TABLE %s ALTER COLUMN %I TYPE %s USING (a conversion you have checked);',
                        qualified, ref.name, ref.type));
        projection := projection || format('NULL::%s AS %I', ref.type, ref.name);
        CONTINUE;
      END IF;
      -- PostgreSQL cannot convert a column that a view or a policy reads (a foreign policy is dropped first, above).
      FOR dependent IN SELECT DISTINCT CASE WHEN d.classid = 'pg_rewrite'::regclass
                                            THEN 'view ' || (SELECT w.ev_class::regclass::text FROM pg_rewrite w WHERE w.oid = d.objid)
                                            ELSE 'policy ' || (SELECT y.polname::text FROM pg_policy y WHERE y.oid = d.objid) END AS name
                         FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                        WHERE d.refobjid = target AND a.attname = ref.name
                          AND (d.classid = 'pg_rewrite'::regclass AND NOT EXISTS (
                                 SELECT FROM pg_rewrite w WHERE w.oid = d.objid AND w.ev_class = target)
                               OR d.classid = 'pg_policy'::regclass AND EXISTS (
                                 SELECT FROM pg_policy y WHERE y.oid = d.objid AND y.polname::text = ANY (p_kit_policies)))
      LOOP
        probes := probes || jsonb_build_object('rule', format('%s_%s_type', short_name, ref.name), 'pred', 'true',
          'can_defer', false, 'uncounted', true,
          'definition', format('column %s is %s and the kit needs %s, but %s reads it: PostgreSQL cannot convert it',
                               ref.name, cur.type, ref.type, dependent.name),
          'fix', format('drop %s, deploy, and create it again over the converted column', dependent.name));
      END LOOP;
      -- A conversion that can fail on some rows is a rule of its own, counted like a constraint.
      IF conversion LIKE 'CASE%' THEN
        projection := projection || format('(%I IS NOT NULL AND (%s) IS NULL) AS %I', ref.name, conversion,
                                           'schedkit_unfit_' || ref.name);
        probes := probes || jsonb_build_object('rule', format('%s_%s_fits_%s', short_name, ref.name,
                                                              replace(ref.type, ' ', '_')),
          'pred', format('%I', 'schedkit_unfit_' || ref.name), 'can_defer', false,
          'definition', format('every %s value converts to %s', ref.name, ref.type));
      END IF;
      projection := projection || format('%s AS %I', conversion, ref.name);
      column_plan := column_plan || jsonb_build_object('kind', 'convert column', 'name', ref.name,
        'detail', format('%s -> %s', cur.type, ref.type),
        'sql', format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT, ALTER COLUMN %I TYPE %s USING %s',
                      qualified, ref.name, ref.name, ref.type, conversion));
    END IF;
    IF conversion IS NOT NULL OR cur.default_expr IS DISTINCT FROM ref.default_expr THEN
      IF ref.default_expr IS NOT NULL THEN
        column_plan := column_plan || jsonb_build_object('kind', 'set default', 'name', ref.name,
          'detail', concat_ws(' -> ', coalesce(cur.default_expr, 'none'), ref.default_expr),
          'sql', format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', qualified, ref.name, ref.default_expr),
          'quiet', cur.default_expr IS NOT DISTINCT FROM ref.default_expr);
      ELSIF cur.default_expr IS NOT NULL THEN
        column_plan := column_plan || jsonb_build_object('kind', 'drop default', 'name', ref.name,
          'detail', cur.default_expr, 'sql', format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', qualified, ref.name),
          'quiet', conversion IS NOT NULL);
      END IF;
    END IF;
    IF ref.not_null AND NOT cur.not_null THEN
      probes := probes || jsonb_build_object('rule', format('%s_%s_not_null', short_name, ref.name),
        'pred', format('%I IS NULL', ref.name), 'can_defer', true, 'definition', format('%s IS NOT NULL', ref.name));
      column_plan := column_plan || jsonb_build_object('kind', 'set not null', 'name', ref.name,
        'rule', format('%s_%s_not_null', short_name, ref.name),
        'sql', format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL', qualified, ref.name),
        'not_valid_sql', format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I, ADD CONSTRAINT %I CHECK (%I IS NOT NULL) NOT VALID',
                                qualified, format('%s_%s_not_null', short_name, ref.name),
                                format('%s_%s_not_null', short_name, ref.name), ref.name));
    ELSIF NOT ref.not_null AND cur.not_null THEN
      column_plan := column_plan || jsonb_build_object('kind', 'drop not null', 'name', ref.name,
        'sql', format('ALTER TABLE %s ALTER COLUMN %I DROP NOT NULL', qualified, ref.name));
    END IF;
  END LOOP;
  FOR cur IN SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
              WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
                AND NOT EXISTS (SELECT FROM pg_attribute r WHERE r.attrelid = p_reference AND r.attname = a.attname
                                                              AND r.attnum > 0 AND NOT r.attisdropped)
              ORDER BY a.attnum LOOP
    report := jsonb_set(report, '{kept}', report -> 'kept' || jsonb_build_object(
      'kind', 'column', 'name', cur.name, 'detail', cur.type));
  END LOOP;

  -- Constraints the file declares: kept when the table has them as declared, else (re)added; their rows counted.
  FOR ref IN SELECT k.conname::text AS name, k.contype, pg_get_constraintdef(k.oid) AS definition,
                    pg_get_expr(k.conbin, k.conrelid) AS expr,
                    (SELECT string_agg(format('%I', a.attname), ', ' ORDER BY array_position(k.conkey, a.attnum))
                       FROM pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)) AS key_columns
               FROM pg_constraint k WHERE k.conrelid = p_reference ORDER BY k.conname LOOP
    SELECT k.conname::text AS name, k.convalidated, pg_get_constraintdef(k.oid) AS definition INTO cur
      FROM pg_constraint k WHERE k.conrelid = target AND k.conname = ref.name;
    found_current := FOUND;
    cur_def := CASE WHEN found_current THEN replace(cur.definition, ' NOT VALID', '') END;
    CONTINUE WHEN found_current AND cur_def = ref.definition AND cur.convalidated;
    IF ref.contype = 'c' THEN
      probes := probes || jsonb_build_object('rule', ref.name, 'pred', format('NOT (%s)', ref.expr), 'can_defer', true,
                                             'definition', ref.definition);
    ELSIF ref.contype IN ('p', 'u') THEN
      probes := probes || jsonb_build_object('rule', ref.name, 'keys', ref.key_columns, 'can_defer', false,
                                             'definition', ref.definition);
    END IF;
    constraint_plan := constraint_plan || jsonb_build_object(
      'kind', CASE WHEN found_current AND cur_def = ref.definition THEN 'validate constraint'
                   WHEN found_current THEN 'replace constraint' ELSE 'add constraint' END,
      'name', ref.name, 'rule', ref.name, 'detail', ref.definition,
      'was', CASE WHEN found_current AND cur_def <> ref.definition THEN cur.definition END,
      'sql', CASE WHEN found_current AND cur_def = ref.definition
                  THEN format('ALTER TABLE %s VALIDATE CONSTRAINT %I', qualified, ref.name)
                  ELSE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I, ADD CONSTRAINT %I %s',
                              qualified, ref.name, ref.name, ref.definition) END,
      'not_valid_sql', CASE WHEN found_current AND cur_def = ref.definition THEN ''
                            ELSE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I, ADD CONSTRAINT %I %s NOT VALID',
                                        qualified, ref.name, ref.name, ref.definition) END);
  END LOOP;
  -- A NOT VALID CHECK standing in for a NOT NULL the rows broke: once they pass, NOT NULL replaces it.
  FOR cur IN SELECT k.conname::text AS name, a.attname::text AS column_name FROM pg_constraint k
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
              WHERE k.conrelid = target AND k.contype = 'c' AND NOT k.convalidated
                AND k.conname = format('%s_%s_not_null', short_name, a.attname) AND NOT a.attnotnull
                AND NOT EXISTS (SELECT FROM jsonb_array_elements(column_plan) e WHERE e ->> 'rule' = k.conname) LOOP
    probes := probes || jsonb_build_object('rule', cur.name, 'pred', format('%I IS NULL', cur.column_name),
                                           'can_defer', true, 'definition', format('%s IS NOT NULL', cur.column_name));
    column_plan := column_plan || jsonb_build_object('kind', 'set not null', 'name', cur.column_name, 'rule', cur.name,
      'sql', format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL', qualified, cur.column_name), 'not_valid_sql', '');
  END LOOP;
  FOR cur IN SELECT k.conname::text AS name, pg_get_constraintdef(k.oid) AS definition, k.contype,
                    (SELECT c.relname::text FROM pg_class c WHERE c.oid = k.conindid) AS index_name
               FROM pg_constraint k
              WHERE k.conrelid = target AND p_kit_policies IS NOT NULL
                AND NOT EXISTS (SELECT FROM pg_constraint r WHERE r.conrelid = p_reference AND r.conname = k.conname)
              ORDER BY k.conname LOOP
    -- A stand-in for a NOT NULL (above), or a UNIQUE constraint behind an index the file declares: kept.
    CONTINUE WHEN cur.contype = 'c' AND cur.name LIKE short_name || '%_not_null'
               AND cur.definition ~ '^CHECK \(\("?[^()]+"? IS NOT NULL\)\)';
    CONTINUE WHEN cur.contype = 'u' AND EXISTS (
      SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = p_reference AND c.relname = cur.index_name AND i.indisunique);
    drop_plan := drop_plan || jsonb_build_object('kind', 'drop constraint', 'name', cur.name,
      'detail', cur.definition, 'sql', format('ALTER TABLE %s DROP CONSTRAINT %I', qualified, cur.name));
  END LOOP;

  -- Indexes the file declares (those not behind a constraint): created when missing, re-created when different.
  FOR ref IN SELECT c.relname::text AS name, i.indisunique AS is_unique,
                    regexp_replace(pg_get_indexdef(i.indexrelid), ' ON \S+ USING ', ' ON ' || qualified || ' USING ') AS definition,
                    (SELECT string_agg(format('%I', a.attname), ', ') FROM pg_attribute a
                      WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) AS key_columns,
                    pg_get_expr(i.indpred, i.indrelid) AS predicate
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = p_reference
                AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = p_reference)
              ORDER BY c.relname LOOP
    SELECT regexp_replace(pg_get_indexdef(i.indexrelid), ' ON \S+ USING ', ' ON ' || qualified || ' USING ') AS definition,
           (SELECT k.conname::text FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = target) AS constraint_name
      INTO cur
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = target AND c.relname = ref.name;
    found_current := FOUND;
    -- The same index behind a UNIQUE constraint (the seed's `UNIQUE (job_name)`) becomes the file's plain index, so
    -- that the table's definition is exactly the file's; kept when a foreign key depends on it.
    CONTINUE WHEN found_current AND cur.definition = ref.definition
              AND (cur.constraint_name IS NULL OR EXISTS (
                     SELECT FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = (
                       SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                        WHERE i.indrelid = target AND c.relname = ref.name)));
    IF ref.is_unique THEN
      probes := probes || jsonb_build_object('rule', ref.name, 'keys', ref.key_columns, 'where', ref.predicate,
                                             'can_defer', false, 'definition', ref.definition);
    END IF;
    index_plan := index_plan || jsonb_build_object(
      'kind', CASE WHEN found_current THEN 'replace index' ELSE 'add index' END,
      'name', ref.name, 'rule', CASE WHEN ref.is_unique THEN ref.name END, 'detail', ref.definition,
      'sql', CASE WHEN NOT found_current THEN ref.definition
                  WHEN cur.constraint_name IS NOT NULL
                    THEN format('ALTER TABLE %s DROP CONSTRAINT %I; %s', qualified, cur.constraint_name, ref.definition)
                  ELSE format('DROP INDEX %I.%I; %s', split_part(p_table, '.', 1), ref.name, ref.definition) END);
  END LOOP;
  -- Indexes the file does not declare: dropped from the kit's own tables (a foreign unique index would refuse the
  -- service's writes, and the audit compares the tables with the plan exactly); kept on a shared table (users).
  FOR cur IN SELECT c.relname::text AS name, pg_get_indexdef(i.indexrelid) AS definition
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = target
                AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                AND NOT EXISTS (SELECT FROM pg_index r JOIN pg_class rc ON rc.oid = r.indexrelid
                                 WHERE r.indrelid = p_reference AND rc.relname = c.relname)
              ORDER BY c.relname LOOP
    IF p_kit_policies IS NOT NULL THEN
      drop_plan := drop_plan || jsonb_build_object('kind', 'drop index', 'name', cur.name, 'detail', cur.definition,
                                                   'sql', format('DROP INDEX %I.%I', split_part(p_table, '.', 1), cur.name));
    ELSE
      report := jsonb_set(report, '{kept}', report -> 'kept' || jsonb_build_object(
        'kind', 'index', 'name', cur.name, 'detail', cur.definition));
    END IF;
  END LOOP;

  -- Table options (fillfactor): the file's.
  IF (SELECT c.reloptions FROM pg_class c WHERE c.oid = target) IS DISTINCT FROM
     (SELECT c.reloptions FROM pg_class c WHERE c.oid = p_reference) THEN
    column_plan := column_plan || jsonb_build_object('kind', 'set storage options', 'name', qualified,
      'detail', (SELECT array_to_string(c.reloptions, ', ') FROM pg_class c WHERE c.oid = p_reference),
      'sql', format('ALTER TABLE %s SET (%s)', qualified,
                    (SELECT array_to_string(c.reloptions, ', ') FROM pg_class c WHERE c.oid = p_reference)));
  END IF;

  -- One scan counts every rule over the converted rows; then the first rows breaking each, named by p_label.
  IF jsonb_array_length(probes) > 0 THEN
    EXECUTE format('WITH converted AS MATERIALIZED (SELECT %s, (%s)::text AS schedkit_label FROM %s) '
                   'SELECT jsonb_build_object(''schedkit_rows'', count(*), %s) FROM converted',
                   array_to_string(projection, ', '), p_label, qualified,
                   (SELECT string_agg(format('%L, %s', p ->> 'rule', CASE
                             WHEN p ? 'keys' THEN format('(SELECT count(*) FROM (SELECT 1 FROM converted %s GROUP BY %s '
                                                         'HAVING count(*) > 1) d)', 'WHERE ' || (p ->> 'where'), p ->> 'keys')
                             ELSE format('count(*) FILTER (WHERE %s)', p ->> 'pred') END), ', ')
                      FROM jsonb_array_elements(probes) p))
      INTO counts;
    report := report || jsonb_build_object('rows', counts -> 'schedkit_rows');
    FOR probe IN SELECT p FROM jsonb_array_elements(probes) p LOOP
      violators := (counts ->> (probe ->> 'rule'))::bigint;
      CONTINUE WHEN violators = 0;
      EXECUTE format('WITH converted AS (SELECT %s, (%s)::text AS schedkit_label FROM %s) '
                     'SELECT coalesce(jsonb_agg(l ORDER BY l), ''[]'') FROM (%s LIMIT 5) s(l)',
                     array_to_string(projection, ', '), p_label, qualified,
                     CASE WHEN probe ? 'keys'
                          THEN format('SELECT concat_ws('', '', %s) FROM converted %s GROUP BY %s HAVING count(*) > 1 ORDER BY 1',
                                      probe ->> 'keys', 'WHERE ' || (probe ->> 'where'), probe ->> 'keys')
                          ELSE format('SELECT schedkit_label FROM converted WHERE %s ORDER BY 1', probe ->> 'pred') END)
        INTO sample;
      item := jsonb_build_object('rule', probe ->> 'rule', 'definition', probe ->> 'definition',
                                 'count', CASE WHEN probe ? 'uncounted' THEN NULL ELSE violators END,
                                 'sample', CASE WHEN probe ? 'uncounted' THEN '[]'::jsonb ELSE sample END,
                                 'can_defer', probe -> 'can_defer', 'fix', probe -> 'fix',
                                 'by', CASE WHEN probe ? 'keys' THEN 'duplicate ' || (probe ->> 'keys') ELSE p_label END);
      IF (probe ->> 'can_defer')::boolean AND (probe ->> 'rule' = ANY (p_not_valid) OR '*' = ANY (p_not_valid)) THEN
        report := jsonb_set(report, '{not_valid}', report -> 'not_valid' || item);
      ELSE
        report := jsonb_set(report, '{refusals}', report -> 'refusals' || item);
      END IF;
    END LOOP;
  ELSE
    report := report || jsonb_build_object('rows', (SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c WHERE c.oid = target));
  END IF;

  deferred := ARRAY(SELECT r ->> 'rule' FROM jsonb_array_elements(report -> 'not_valid') r);
  FOR item IN SELECT e FROM jsonb_array_elements(drop_plan || column_plan || constraint_plan || index_plan) e LOOP
    CONTINUE WHEN coalesce((item ->> 'quiet')::boolean, false);
    -- A constraint that stays NOT VALID as it is: no change to show (the not_valid list says it).
    CONTINUE WHEN item ->> 'rule' = ANY (deferred) AND coalesce(item ->> 'not_valid_sql', '') = '';
    report := jsonb_set(report, '{changes}', report -> 'changes' || (item - 'sql' - 'not_valid_sql' - 'quiet' - 'rule'
      || CASE WHEN item ->> 'rule' = ANY (deferred) THEN jsonb_build_object('not_valid', true) ELSE '{}' END));
  END LOOP;

  IF NOT p_apply OR jsonb_array_length(report -> 'refusals') > 0 THEN
    IF p_apply THEN
      RAISE EXCEPTION USING ERRCODE = 'check_violation',
        MESSAGE = format('%s: existing rows break %s of the kit''s rules; nothing was changed', p_table,
                         jsonb_array_length(report -> 'refusals')),
        DETAIL = report ->> 'refusals',
        HINT = (SELECT string_agg(format('%s [%s]: %s rows (%s: %s)', r ->> 'rule', r ->> 'definition',
                                         coalesce(r ->> 'count', '?'), r ->> 'by',
                                         (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(r -> 'sample') x)),
                                  E'\n') FROM jsonb_array_elements(report -> 'refusals') r);
    END IF;
    RETURN report;
  END IF;

  -- Apply, in an order PostgreSQL accepts: triggers that read a column being converted are set aside and put back.
  IF EXISTS (SELECT FROM jsonb_array_elements(column_plan) e WHERE e ->> 'kind' = 'convert column') THEN
    FOR cur IN SELECT DISTINCT t.tgname::text AS name, pg_get_triggerdef(t.oid) AS definition
                 FROM pg_trigger t JOIN pg_depend d ON d.classid = 'pg_trigger'::regclass AND d.objid = t.oid
                WHERE t.tgrelid = target AND NOT t.tgisinternal AND d.refobjid = target AND d.refobjsubid > 0
                  AND t.tgname::text = ANY (p_kit_triggers) LOOP
      saved_triggers := saved_triggers || cur.definition;
      EXECUTE format('DROP TRIGGER %I ON %s', cur.name, qualified);
    END LOOP;
  END IF;
  FOR item IN SELECT e FROM jsonb_array_elements(drop_plan || column_plan || constraint_plan || index_plan) e LOOP
    IF item ->> 'rule' = ANY (deferred) THEN
      IF coalesce(item ->> 'not_valid_sql', '') <> '' THEN
        EXECUTE item ->> 'not_valid_sql';
      END IF;
    ELSE
      EXECUTE item ->> 'sql';
      IF item ->> 'kind' = 'set not null' THEN
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', qualified, item ->> 'rule');
      END IF;
    END IF;
  END LOOP;
  FOREACH cur_def IN ARRAY saved_triggers LOOP
    EXECUTE cur_def;
  END LOOP;
  RETURN report;
END
$$;
