"""Append-only rows: written once, never changed or removed through the ORM.

Posted ledger rows and audit rows are history: a correction is a new row (a reversing entry),
never an edit. `AppendOnlyModel` refuses a second save, `delete()`, and every bulk path that
rewrites rows (`update()`, which `bulk_update()` and related managers reach too, queryset
`delete()`, and upserting `bulk_create()`). On PostgreSQL, triggers and the app's database role
hold the same rule below the ORM. A subclass names the error it raises and what it says.
"""

from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an append-only row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise self.model.refusal("update")

    def delete(self):
        raise self.model.refusal("delete")

    def bulk_create(self, objs, *args, **kwargs):
        # ON CONFLICT DO UPDATE would rewrite a stored row that shares a unique key.
        if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
            raise self.model.refusal("upsert")
        return super().bulk_create(objs, *args, **kwargs)

    update.queryset_only = True
    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    # What a refusal raises, and its message for each attempt: "change" (a second save), "update",
    # "delete", "upsert".
    refusal_error: type[AppendOnlyError] = AppendOnlyError
    refusal_messages: dict[str, str] = {
        "change": "Append-only rows cannot be changed.",
        "update": "Append-only rows cannot be changed.",
        "delete": "Append-only rows cannot be deleted.",
        "upsert": "Append-only rows cannot be upserted.",
    }

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields") is not None:
            raise self.refusal("change")
        # An instance built by hand with the pk of a stored row would otherwise be saved as an
        # UPDATE of that row; forcing an INSERT turns the attempt into an IntegrityError.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.refusal("delete")

    @classmethod
    def refusal(cls, attempt: str) -> AppendOnlyError:
        return cls.refusal_error(cls.refusal_messages[attempt])
