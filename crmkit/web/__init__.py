"""The web application: kernel JSON API under ``/api/v1/``, server-rendered pages, plugin routes.

Build it with :func:`crmkit.web.app.create_asgi`; plugin endpoints reach the CRM and
the acting user through :mod:`crmkit.web.context`.
"""
