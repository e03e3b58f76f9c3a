"""The jobs of jobs.yaml, one resource each, so `pulumi preview` shows each job created, changed or retired."""

from __future__ import annotations

from typing import Optional, Sequence

import pulumi

from .. import TYPE_PREFIX
from ..jobs_file import JobDefinition
from ..providers.job import Job


class ScheduledJobs(pulumi.ComponentResource):
    def __init__(self, name: str, jobs: Sequence[JobDefinition], depends_on: Sequence[pulumi.Resource] = (),
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TYPE_PREFIX}:index:ScheduledJobs", name, None, opts)
        self.jobs = {
            job.name: Job(f"job-{job.name}", job,
                          pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)))
            for job in jobs
        }
        self.register_outputs({"names": sorted(self.jobs)})
