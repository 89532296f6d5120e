"""Test helpers: a pytest plugin with a fresh embedded admin and connected clients per test.

Installed as a pytest plugin (entry point ``flyteplane``); fixtures: ``flyte_admin``, ``flyte_client``,
``flyte_raw_client``, and ``flyte_admin_session`` for one admin shared by a whole session.
"""
