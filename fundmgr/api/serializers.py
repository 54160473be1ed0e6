"""What the API's serializers share."""

import copy


class FieldsBuiltOnce:
    """A ModelSerializer whose fields are worked out from the model once per class, then copied.

    DRF's ModelSerializer inspects the model and builds every field again for each serializer it
    makes (each answer, each nested item's parent): on the pledge POST that was a sixth of the API
    view's CPU. The fields depend only on the class (its Meta and declared fields), never on the
    request, so a deep copy of the first build (what DRF does with declared fields anyway) gives
    the same fields. Put it first among the bases."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            # Two threads may both build it: the same result, either may stay.
            built = super().get_fields()
            cls._fields_built = built
        return copy.deepcopy(built)
