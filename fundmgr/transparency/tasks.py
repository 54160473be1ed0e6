"""Celery tasks of the transparency log: thin, they call `services`."""

from celery import shared_task

from fundmgr.core import outbox

from . import services

MAX_RETRIES = 5


class _DeliveryTask(outbox.RetryingJobTask):
    max_retries = MAX_RETRIES

    def give_up(self, args, error):
        services.checkpoint_delivery_mark_failed(delivery_id=args[0], error=error)


@shared_task(base=_DeliveryTask)
def checkpoint_delivery_task(delivery_id: int) -> None:
    services.checkpoint_delivery_send(delivery_id=delivery_id)


@shared_task(acks_late=True)
def checkpoint_take_task() -> int:
    """Daily (migration 0003): sign a checkpoint of the log; its tree size."""
    return services.checkpoint_take().tree_size
