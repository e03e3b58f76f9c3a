"""The statistics computed exactly from the history (what get_job_execution_stats returned before it read rollups),
and the comparison the statistics tests make: every column exact except the 95th percentile, which must be within
the documented relative error of percentile_cont(0.95). A negative duration, which only old rows kept NOT VALID can
hold (docs/adopting.md), is no duration; an execution kept with a status outside the three is not counted (its
start is still the job's latest start when it is the latest), one kept without a job belongs to no job's statistics,
and one kept without a start is in the statistics of all time and in no window."""

from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence

import psycopg

from scheduler_kit.duration_histogram import P95_RELATIVE_ERROR

EXACT_STATS = """
SELECT j.job_name, count(*) FILTER (WHERE j.status IN ('running', 'completed', 'failed')),
       count(*) FILTER (WHERE j.status = 'completed'), count(*) FILTER (WHERE j.status = 'failed'),
       count(*) FILTER (WHERE j.status = 'running'),
       round(count(*) FILTER (WHERE j.status = 'completed')::numeric
             / nullif(count(*) FILTER (WHERE j.status IN ('completed', 'failed')), 0), 4),
       round(avg(d.ms), 1), percentile_cont(0.95) WITHIN GROUP (ORDER BY d.ms), max(d.ms), max(j.started_at)
  FROM public.scheduled_jobs AS j
 CROSS JOIN LATERAL (SELECT CASE WHEN j.duration_ms >= 0 AND j.status IN ('running', 'completed', 'failed')
                                THEN j.duration_ms END) AS d(ms)
 WHERE (%(job)s::text IS NULL OR j.job_name = %(job)s) AND (%(since)s::timestamptz IS NULL OR j.started_at >= %(since)s)
   AND j.job_name IS NOT NULL
 GROUP BY j.job_name HAVING count(*) FILTER (WHERE j.status IN ('running', 'completed', 'failed')) > 0
 ORDER BY j.job_name
"""
# The same, of the jobs of `among` only: their range of the (job_name, started_at) index, whatever plan psycopg's
# prepared statement gets (the generic plan of `$1 IS NULL OR ...` alone reads the whole history).
EXACT_STATS_AMONG = EXACT_STATS.replace(" WHERE (", " WHERE j.job_name = ANY(%(among)s) AND (", 1)
FUNCTION_STATS = "SELECT * FROM public.get_job_execution_stats(%(job)s, %(since)s)"
# The function job by job, for the jobs of `among`: its cost follows those jobs' rollups, where the all-jobs call
# (job NULL) reads every job's (0.14 s a call over 200 days of 6 jobs' history, which the stateful test made 5,000 times).
FUNCTION_STATS_AMONG = """
SELECT s.* FROM unnest(%(among)s::text[]) AS j(name), LATERAL public.get_job_execution_stats(j.name, %(since)s) AS s
 WHERE %(job)s::text IS NULL OR j.name = %(job)s
 ORDER BY s.job_name
"""


def stats_mismatches(conn: psycopg.Connection, job: Optional[str], since: Optional[datetime],
                     among: Optional[Sequence[str]] = None) -> list[str]:
    """Differences between the function and the exact computation, run on `conn` as whoever it is now. `among`
    confines the comparison to those jobs (job None: each of them), so that neither side reads more than their
    executions and rollups, whatever history an audited database holds besides."""
    params = {"job": job, "since": since, "among": list(among) if among is not None else None}
    exact = conn.execute(EXACT_STATS if among is None else EXACT_STATS_AMONG, params).fetchall()
    served = conn.execute(FUNCTION_STATS if among is None else FUNCTION_STATS_AMONG, params).fetchall()
    problems = []
    if [r[0] for r in exact] != [r[0] for r in served]:
        return [f"jobs {[r[0] for r in served]} != exact {[r[0] for r in exact]} (job={job}, since={since})"]
    for want, got in zip(exact, served):
        exact_part = (*want[:7], *want[8:])
        served_part = (*got[:7], *got[8:])
        if exact_part != served_part:
            problems.append(f"{want[0]} since {since}: {served_part} != exact {exact_part}")
        if (want[7] is None) != (got[7] is None) or (
                want[7] is not None and abs(got[7] - want[7]) > P95_RELATIVE_ERROR * abs(want[7]) + 1e-9):
            problems.append(f"{want[0]} since {since}: p95 {got[7]} not within {P95_RELATIVE_ERROR:.2%} of {want[7]}")
    return problems


# The rollups computed from the history, by job and UTC day: what job_execution_rollups must hold, whatever time zone
# the writers' sessions were in (the histogram is compared through the statistics function's p95, not here). An
# execution kept NOT VALID without a start is on the day '-infinity' (days are compared as text: Python has no such
# date).
EXACT_ROLLUPS = """
SELECT j.job_name, coalesce((j.started_at AT TIME ZONE 'UTC')::date, '-infinity')::text,
       count(*) FILTER (WHERE j.status = 'completed'),
       count(*) FILTER (WHERE j.status = 'failed'), count(d.ms), coalesce(sum(d.ms), 0), max(d.ms)
  FROM public.scheduled_jobs AS j
 CROSS JOIN LATERAL (SELECT CASE WHEN j.duration_ms >= 0 THEN j.duration_ms END) AS d(ms)
 WHERE j.status IN ('completed', 'failed') AND j.job_name = ANY(%(jobs)s)
 GROUP BY 1, 2 ORDER BY 1, 2
"""
STORED_ROLLUPS = """
SELECT r.job_name, r.day::text, r.completed, r.failed, r.duration_count, r.duration_sum, r.duration_max
  FROM public.job_execution_rollups AS r WHERE r.job_name = ANY(%(jobs)s) ORDER BY 1, 2
"""


def rollup_mismatches(conn: psycopg.Connection, jobs: list[str]) -> list[str]:
    """Rollup rows that differ from the history's own figures per UTC day (run as the service)."""
    exact = conn.execute(EXACT_ROLLUPS, {"jobs": jobs}).fetchall()
    stored = conn.execute(STORED_ROLLUPS, {"jobs": jobs}).fetchall()
    return [f"stored {sorted(set(stored) - set(exact))} where the history says {sorted(set(exact) - set(stored))}"] \
        if exact != stored else []
