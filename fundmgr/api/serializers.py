"""What the API's serializers share."""

import copy

from rest_framework.serializers import BaseSerializer


class FieldsBuiltOnce:
    """A serializer whose fields are worked out once per class, then copied for each instance.

    DRF's ModelSerializer inspects the model and builds every field again for each serializer it
    makes (each answer, each nested item's parent), and a plain Serializer deep-copies its declared
    fields, which re-creates each one from its arguments: on the pledge POST that was a sixth of
    the API view's CPU. The fields depend only on the class (its Meta and declared fields), never
    on the request. Each instance gets a shallow copy of each built field, which is all that
    binding it (`bind`: its name, parent, label, source) writes to: the built ones are never bound
    or used, and what the copies share (arguments, validators, error messages, choices) is read,
    never changed, after a field's `__init__`. A nested serializer is deep-copied, as DRF copies
    it: binding it binds its child and its own fields. Put it first among the bases."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            # Two threads may both build it: the same result, either may stay.
            built = super().get_fields()
            cls._fields_built = built
        return {
            name: copy.deepcopy(field) if isinstance(field, BaseSerializer) else copy.copy(field)
            for name, field in built.items()
        }
