"""The admin of the scholarships app, in two modules: `students` (records, with personal data
guarded) and `awards` (programs, nominations, allocation runs, awards, disbursements)."""

from . import awards, students  # noqa: F401  (registering the ModelAdmins is the import's effect)
