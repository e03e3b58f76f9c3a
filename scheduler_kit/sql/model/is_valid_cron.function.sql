-- True for a standard five-field cron expression (minute hour day-of-month month day-of-week): each field a list of
-- `*`, values or ranges, each with an optional /step; month and weekday also by three-letter name. The database's
-- own check on job_schedules.cron_expression; jobs.yaml validation applies the same grammar before a deploy.
CREATE OR REPLACE FUNCTION scheduler_private.is_valid_cron(expression text)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = ''
AS $$
DECLARE
  fields  text[];
  lows    int[] := ARRAY[0, 0, 1, 1, 0];
  highs   int[] := ARRAY[59, 23, 31, 12, 7];
  months  text[] := ARRAY['jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec'];
  days    text[] := ARRAY['sun','mon','tue','wed','thu','fri','sat'];
  item    text;
  parts   text[];
  first   int;
  last    int;
  step    int;
  i       int;
  n       int;
BEGIN
  IF expression IS NULL THEN
    RETURN NULL;
  END IF;
  fields := pg_catalog.regexp_split_to_array(pg_catalog.btrim(expression), '\s+');
  IF pg_catalog.array_length(fields, 1) <> 5 THEN
    RETURN false;
  END IF;
  FOR i IN 1..5 LOOP
    FOREACH item IN ARRAY pg_catalog.string_to_array(pg_catalog.lower(fields[i]), ',') LOOP
      IF i = 4 THEN
        FOR n IN 1..12 LOOP item := pg_catalog.replace(item, months[n], n::text); END LOOP;
      ELSIF i = 5 THEN
        FOR n IN 1..7 LOOP item := pg_catalog.replace(item, days[n], (n - 1)::text); END LOOP;
      END IF;
      parts := pg_catalog.regexp_match(item, '^(\*|([0-9]{1,2})(?:-([0-9]{1,2}))?)(?:/([0-9]{1,2}))?$');
      IF parts IS NULL THEN
        RETURN false;
      END IF;
      IF parts[1] = '*' THEN
        first := lows[i];
        last := highs[i];
      ELSE
        first := parts[2]::int;
        last := coalesce(parts[3]::int, first);
      END IF;
      IF first < lows[i] OR last > highs[i] OR first > last THEN
        RETURN false;
      END IF;
      IF parts[4] IS NOT NULL THEN
        step := parts[4]::int;
        IF step < 1 OR step > highs[i] THEN
          RETURN false;
        END IF;
      END IF;
    END LOOP;
  END LOOP;
  RETURN true;
END
$$;
