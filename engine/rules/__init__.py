"""Earning rules: a rule model as data, its validation, compiled and naive evaluation, and
the draft → published lifecycle of versioned rules.

Modules: ``model`` (the dataclasses and their JSON form), ``validation`` (every problem of a
definition with its field path), ``facts`` (what a rule can look at), ``outcome`` (stacking,
limits and rounding shared by both evaluators), ``compiled`` (indexed evaluation of a
published set), ``naive`` (every rule checks every line; the reference and benchmark
baseline), ``versions`` (drafts, publishing, retiring, rollback), ``calculator`` (the
ledger's points calculator and simulation).
"""
