DO $refuse$
DECLARE
  lines text;
  broken integer;
BEGIN
  SELECT count(*), string_agg(pg_catalog.format('- %s %s [%s]: %s rows (%s: %s)', t.report ->> 'table', r ->> 'rule',
                                                r ->> 'definition', coalesce(r ->> 'count', '?'), r ->> 'by',
                                                (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(r -> 'sample') x)),
                              E'\n' ORDER BY t.report ->> 'table', r ->> 'rule')
    INTO broken, lines
    FROM pg_temp.schedkit_adoption_reports t, jsonb_array_elements(t.report -> 'refusals') r;
  IF broken > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
      MESSAGE = pg_catalog.format('the database''s existing rows break %s of the kit''s rules; nothing was changed', broken),
      DETAIL = lines,
      HINT = 'fix the rows (`make preview` on a stack prints a suggested fix for each rule), or generate the file with '
             '`make sql KEEP_INVALID_ROWS=true` to keep the history''s rows as they are (constraints NOT VALID)';
  END IF;
END
$refuse$
