"""The scheduler kit's CrossGuard policy pack: mandatory guards a platform team wants on every stack.

Run by `make preview` (pulumi preview --policy-pack policy-pack/analyzer), `make policy-analyze` and the
pull-request workflow. The rules themselves are in guards.py; add a team's own in a module beside it (see
docs/native-checks.md)."""

import os

from pulumi_policy import (EnforcementLevel, PolicyPack, ReportViolation, ResourceValidationArgs,
                           ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy)

import guards
from pulumi_policy import policy as _policy

ALLOWANCE = guards.load_allowance()
# The stack's configuration: the engine sends it in ConfigureStack, which pulumi-policy 1.21 reads only for its tags.
# Secret values are never kept (the rules need none).
CONFIG: dict = {}
_configure_stack = _policy._PolicyAnalyzerServicer.ConfigureStack


def _keep_stack_config(self, request, context):
    secret = set(request.config_secret_keys)
    CONFIG.clear()
    CONFIG.update({key: value for key, value in request.config.items() if key not in secret})
    CONFIG["__configured__"] = "yes"
    return _configure_stack(self, request, context)


_policy._PolicyAnalyzerServicer.ConfigureStack = _keep_stack_config


def _plain(value):
    """The engine's property proxies as plain dicts and lists (they do not serialize as JSON)."""
    if hasattr(value, "items"):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return value
    return [_plain(item) for item in value]


def _kit(args) -> str:
    return guards.resource_kind(args.resource_type)


def _report(report_violation: ReportViolation, messages, urn=None) -> None:
    for message in messages:
        report_violation(message, urn) if urn else report_violation(message)


def history_protected(args: ResourceValidationArgs, report_violation: ReportViolation):
    if _kit(args) == "Table":
        _report(report_violation, guards.history_protection(args.urn, args.name, _plain(args.props), args.opts.protect))


def grants_within_the_plan(args: ResourceValidationArgs, report_violation: ReportViolation):
    if _kit(args) == "Privileges":
        _report(report_violation, guards.privileges_within_allowance(args.name, _plain(args.props), ALLOWANCE))
    elif _kit(args) == "Grant":  # a stack's state from before the Privileges kind (`pulumi policy analyze`)
        _report(report_violation, guards.grant_within_allowance(args.name, _plain(args.props), ALLOWANCE))


def admin_checks_in_a_subselect(args: ResourceValidationArgs, report_violation: ReportViolation):
    if _kit(args) == "Policy":
        _report(report_violation, guards.admin_checks_wrapped(args.name, _plain(args.props)))


def job_limits(args: ResourceValidationArgs, report_violation: ReportViolation):
    if _kit(args) == "Job":
        _report(report_violation, guards.job_limits(args.name, _plain(args.props)))


def supabase_uses_tls_and_job_count(args: StackValidationArgs, report_violation: ReportViolation):
    stack = next((guards.stack_of(r.urn) for r in args.resources), os.environ.get("PULUMI_STACK", "?"))
    # A preview has the stack's configuration; a state analysis (`pulumi policy analyze`) gets none, and reads the
    # program's exports from the Stack resource instead.
    config = CONFIG or next((guards.config_from_stack_outputs(_plain(r.props)) for r in args.resources
                             if r.resource_type == "pulumi:pulumi:Stack"), {})
    if "scheduler-kit:target" not in config:
        report_violation("neither the stack's configuration nor its outputs say which target it deploys to, so the "
                         "TLS rule cannot be checked; run the pack through `pulumi preview`")
    else:
        _report(report_violation, guards.tls(stack, config))
    _report(report_violation, guards.job_count(r.name for r in args.resources if _kit(r) == "Job"))


PolicyPack(
    name="scheduler-kit",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name="history-protected-and-retained", validate=history_protected,
                                 description="On every stack but local, the history tables are protected and "
                                             "retained on delete."),
        ResourceValidationPolicy(name="grants-within-the-plan", validate=grants_within_the_plan,
                                 description="No Privileges resource gives a role more than the pinned allowance "
                                             "(policy-pack/allowed_grants.json) allows."),
        ResourceValidationPolicy(name="admin-checks-in-a-subselect", validate=admin_checks_in_a_subselect,
                                 description="Every admin check in an RLS policy is wrapped in a sub-select."),
        ResourceValidationPolicy(name="job-limits", validate=job_limits,
                                 description="Each job's config stays within the jobs file's limits."),
        StackValidationPolicy(name="supabase-tls-and-job-count", validate=supabase_uses_tls_and_job_count,
                              description="A supabase target uses sslmode require or stronger; at most 1,000 jobs."),
    ],
)
