"""The admin's list of apps, built once per request.

Django's admin builds the list of the apps and models a user may open (each registered admin's
module and model permissions, and their links) for the sidebar of every page (`each_context`'s
`available_apps`); the index and an app's index build it once more for their own list. The list
depends only on the request's user, whose permissions Django already caches on the user object for
the request (its names are lazy, translated and sorted when read), so it is kept on the request
for its user: a second build in the same request is the first one's, and a request whose user
changes (a log-in) builds it again. An app's index takes its one app from the full list.
"""


def install(site) -> None:
    """Build `site`'s app list at most once per request and user."""
    build = site._build_app_dict

    def app_dict_once(request, label=None):
        user = getattr(request, "user", None)
        kept = getattr(request, "_admin_app_dict", None)
        if kept is None or kept[0] is not user:
            kept = (user, build(request))
            request._admin_app_dict = kept
        app_dict = kept[1]
        if label:
            return {label: app_dict[label]} if label in app_dict else {}
        return app_dict

    site._build_app_dict = app_dict_once
