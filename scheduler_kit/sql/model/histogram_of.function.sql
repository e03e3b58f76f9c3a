-- A sparse histogram from parallel arrays of buckets and counts (repeated buckets add up): how the statistics
-- trigger turns one statement's executions into the change it applies to a rollup.
CREATE OR REPLACE FUNCTION scheduler_private.histogram_of(p_buckets integer[], p_counts integer[])
RETURNS integer[]
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = ''
AS $$
DECLARE
  result integer[];
  k integer;
BEGIN
  FOR k IN 1 .. coalesce(pg_catalog.array_length(p_buckets, 1), 0) LOOP
    IF p_buckets[k] IS NOT NULL THEN
      result[p_buckets[k]] := coalesce(result[p_buckets[k]], 0) + p_counts[k];
    END IF;
  END LOOP;
  RETURN result;
END
$$;
