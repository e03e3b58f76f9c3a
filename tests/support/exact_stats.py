"""The statistics computed exactly from the history (what get_job_execution_stats returned before it read rollups),
and the comparison the statistics tests make: every column exact except the 95th percentile, which must be within
the documented relative error of percentile_cont(0.95)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence

import psycopg

from scheduler_kit.duration_histogram import P95_RELATIVE_ERROR

EXACT_STATS = """
SELECT j.job_name, count(*), count(*) FILTER (WHERE j.status = 'completed'), count(*) FILTER (WHERE j.status = 'failed'),
       count(*) FILTER (WHERE j.status = 'running'),
       round(count(*) FILTER (WHERE j.status = 'completed')::numeric
             / nullif(count(*) FILTER (WHERE j.status IN ('completed', 'failed')), 0), 4),
       round(avg(j.duration_ms), 1), percentile_cont(0.95) WITHIN GROUP (ORDER BY j.duration_ms),
       max(j.duration_ms), max(j.started_at)
  FROM public.scheduled_jobs AS j
 WHERE (%(job)s::text IS NULL OR j.job_name = %(job)s) AND (%(since)s::timestamptz IS NULL OR j.started_at >= %(since)s)
   AND (%(among)s::text[] IS NULL OR j.job_name = ANY(%(among)s))
 GROUP BY j.job_name ORDER BY j.job_name
"""
FUNCTION_STATS = ("SELECT * FROM public.get_job_execution_stats(%(job)s, %(since)s) AS s"
                  " WHERE %(among)s::text[] IS NULL OR s.job_name = ANY(%(among)s)")


def stats_mismatches(conn: psycopg.Connection, job: Optional[str], since: Optional[datetime],
                     among: Optional[Sequence[str]] = None) -> list[str]:
    """Differences between the function and the exact computation, run on `conn` as whoever it is now. `among`
    confines the comparison to those jobs (the function still computes every job's for job None): the exact side
    then reads only their executions, not a whole history an audited database may hold."""
    params = {"job": job, "since": since, "among": list(among) if among is not None else None}
    exact = conn.execute(EXACT_STATS, params).fetchall()
    served = conn.execute(FUNCTION_STATS, params).fetchall()
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
