from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScholarshipsConfig(AppConfig):
    name = "scholarships"
    label = "scholarships"
    verbose_name = _("Học bổng")

    def ready(self):
        # Approved, unpaid awards are money the ledger must keep aside (fund_available, spend_guard).
        from fundmgr.ledger.commitments import register_commitment_source

        from .services.awards import approved_unpaid_awards

        register_commitment_source(approved_unpaid_awards)

        # The fund statement's money out by program.
        from fundmgr.ledger.sources import register_source_grouper

        from .services.awards import disbursement_programs

        register_source_grouper("scholarships.disbursement", disbursement_programs)

        # The awards book and the award list of the reports. Both name children: each run logs one
        # view row per child it listed (`services.report_views_recorder`, the services' rule, which
        # the exporters, below the services, cannot import).
        import dataclasses

        from fundmgr.core.exporting import register

        from .exporters import AWARD_LIST, AWARDS_DISBURSEMENTS
        from .services import report_views_recorder

        for exporter in (AWARDS_DISBURSEMENTS, AWARD_LIST):
            register(dataclasses.replace(exporter, views_record=report_views_recorder(exporter.name)))

        # A large program's allocation is a job of the outbox: its requeue job sends a lost one again.
        from fundmgr.core import outbox

        from . import tasks
        from .models import AllocationJob

        outbox.register(AllocationJob, lambda job: (tasks.allocation_job_task, (job.pk,)))

    def seed_demo(self) -> str:
        """Demo students in Lam Sơn, Hạc Thành and a few other communes (`manage.py seed_demo`; idempotent)."""
        from .demo import seed_demo

        return seed_demo()
