"""`checkpoint_take`: signed, stored once per size, copied to a file after commit, e-mailed to the auditors."""

import json
import threading

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from fundmgr.audit.models import AuditEvent
from fundmgr.core import merkle, outbox
from fundmgr.ledger.models import JournalEntry
from fundmgr.transparency import services, signing
from fundmgr.transparency.models import Checkpoint, CheckpointDelivery
from fundmgr.transparency.tasks import checkpoint_delivery_task, checkpoint_take_task

pytestmark = pytest.mark.django_db


def journal_root(size):
    hashes = JournalEntry.objects.order_by("pk").values_list("hash", flat=True)[:size]
    return merkle.root_hash([merkle.leaf_hash(bytes.fromhex(value)) for value in hashes]).hex()


def file_lines():
    return [json.loads(line) for line in services.checkpoint_file_path().read_text().splitlines()]


def test_take_signs_stores_copies_and_mails(post, auditor, treasurer, django_capture_on_commit_callbacks):
    post(1_000_000, 2_000_000, 500_000)
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint = services.checkpoint_take(by=treasurer)

    assert (checkpoint.tree_size, checkpoint.root_hash) == (3, journal_root(3))
    assert signing.signature_valid(checkpoint.signed, signing.public_key())
    assert file_lines() == [signing.checkpoint_json(checkpoint.signed)]
    event = AuditEvent.objects.get(model_label="transparency.checkpoint")
    assert (event.action, event.object_id, event.after["root_hash"]) == ("create", str(checkpoint.pk), checkpoint.root_hash)

    # Only the auditor gets it (the treasurer is no auditor), with the signed line attached.
    delivery = CheckpointDelivery.objects.get()
    assert (delivery.user, delivery.status, delivery.recipient) == (auditor, "done", auditor.email)
    [message] = mail.outbox
    assert message.to == [auditor.email]
    assert "3 bút toán" in message.subject
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("checkpoint-3.json", "application/json")
    assert json.loads(content) == signing.checkpoint_json(checkpoint.signed)


def test_unchanged_size_returns_the_last_checkpoint(post, auditor, django_capture_on_commit_callbacks):
    post(1_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.checkpoint_take()
    with django_capture_on_commit_callbacks(execute=True):
        again = services.checkpoint_take()
    assert again == first
    assert (Checkpoint.objects.count(), CheckpointDelivery.objects.count(), len(mail.outbox)) == (1, 1, 1)
    assert len(file_lines()) == 1

    post(2_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.checkpoint_take()
    assert (second.tree_size, second.root_hash) == (2, journal_root(2))
    assert [line["tree_size"] for line in file_lines()] == [1, 2]
    assert len(mail.outbox) == 2


def test_the_file_copy_waits_for_the_commit_and_closes_a_gap(post, django_capture_on_commit_callbacks):
    post(1_000_000)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.checkpoint_take()
    assert callbacks and not services.checkpoint_file_path().exists()  # nothing copied before commit

    # The process died before its copy: the next take appends what the file lacks, in order.
    post(2_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        services.checkpoint_take()
    assert [line["tree_size"] for line in file_lines()] == [1, 2]
    assert services.checkpoint_file_sync() == 0  # each line once


def test_a_delivery_to_someone_no_longer_auditor_is_skipped(post, auditor, django_capture_on_commit_callbacks):
    post(1_000_000)
    with django_capture_on_commit_callbacks(execute=False):
        services.checkpoint_take()
    auditor.memberships.all().delete()
    delivery = CheckpointDelivery.objects.get()
    checkpoint_delivery_task(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, mail.outbox) == ("skipped", [])


def test_command_task_and_daily_schedule(post, capsys, django_capture_on_commit_callbacks):
    post(1_000_000, 2_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("transparency_checkpoint")
    output = capsys.readouterr().out
    assert output.startswith(f"2 {journal_root(2)} ")
    assert checkpoint_take_task() == 2
    assert Checkpoint.objects.count() == 1
    schedule = PeriodicTask.objects.get(task="fundmgr.transparency.tasks.checkpoint_take_task")
    assert (schedule.enabled, schedule.crontab.hour, schedule.crontab.minute) == (True, "0", "5")


def test_no_key_writes_nothing(post, settings):
    settings.TRANSPARENCY_DEV_KEY_FILE = ""
    post(1_000_000)
    with pytest.raises(signing.SigningKeyMissing):
        services.checkpoint_take()
    with pytest.raises(CommandError, match="TRANSPARENCY_SIGNING_KEY"):
        call_command("transparency_checkpoint")
    # A demo on a site without a key still loads; it says why it has no checkpoint.
    assert apps.get_app_config("transparency").seed_demo().startswith("skipped: no signing key")
    assert Checkpoint.objects.count() == 0


def test_seed_demo_leaves_a_checkpoint(demo_seeded):
    labels = [line.split(":")[0] for line in demo_seeded.splitlines()]
    assert labels[-1] == "transparency"  # after every app that posts entries
    checkpoint = Checkpoint.objects.get()
    assert (checkpoint.tree_size, checkpoint.root_hash) == (JournalEntry.objects.count(), journal_root(None))
    assert checkpoint.tree_size > 0
    call_command("seed_demo")
    assert Checkpoint.objects.get() == checkpoint  # nothing posted the second time: the same one


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_takes_at_once_sign_once(post):
    """Two checkpoint_take in threads with their own connections: one signs, the other waits on the
    lock and then finds the size unchanged (without the lock the second would hit the unique size)."""
    post(1_000_000)
    start = threading.Barrier(2)
    outcomes, outcome_lock = [], threading.Lock()

    def take():
        try:
            start.wait(timeout=60)
            try:
                outcome = services.checkpoint_take().pk
            except Exception as error:  # noqa: BLE001 - anything else is a bug the assertion will show
                outcome = f"error: {error!r}"
            with outcome_lock:
                outcomes.append(outcome)
        finally:
            connection.close()  # this thread's own connection

    workers = [threading.Thread(target=take) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    checkpoint = Checkpoint.objects.get()
    assert outcomes == [checkpoint.pk, checkpoint.pk]
    assert [line["tree_size"] for line in file_lines()] == [1]


def test_a_lost_e_mail_is_sent_by_the_outbox_requeue(post, auditor, django_capture_on_commit_callbacks):
    post(1_000_000)
    with django_capture_on_commit_callbacks(execute=False):  # the broker lost the message
        services.checkpoint_take()
    assert mail.outbox == []
    CheckpointDelivery.objects.update(updated_at=timezone.now() - outbox.STALE_AFTER * 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.requeue_stale() == 1
    assert [message.to for message in mail.outbox] == [[auditor.email]]
    assert CheckpointDelivery.objects.get().status == "done"


def test_a_person_without_the_ledgers_export_right_takes_no_checkpoint(post, province):
    from django.core.exceptions import PermissionDenied

    from fundmgr.orgs.models import Membership

    from .conftest import member

    post()
    nominator = member(province, Membership.Role.NOMINATOR, "decu")
    with pytest.raises(PermissionDenied):
        services.checkpoint_take(by=nominator)
    assert not Checkpoint.objects.exists()
