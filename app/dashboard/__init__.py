"""``fixgw dashboard``: the operator's live web page, a process of its own.

It reads the running gateway only through its admin API (``app.admin.AdminClient``) and the book of record
read-only, as the CLI does, so no web work runs in the gateway's process. ``server`` is the web app (pages, the
live feed, the controls), ``auth`` its logins, ``feed`` the polling and the server-sent events, ``panels`` what each
panel shows and where it is read from.
"""
