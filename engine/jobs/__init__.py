"""Scheduled jobs: engine functions of ``as_of`` that keep the programme alive, and their
runs, claimed in the database so that every job runs once per ``as_of`` however many
schedulers are running.

Modules: ``catalogue`` defines the jobs (what each does, set-based); ``runs`` claims,
runs and records them, catching up over every day missed since the last run.

Pending points are not released by a job: a lot's points become spendable when its
``available_at`` passes (every balance and spend derives availability from it), so
there is nothing to release and nothing to miss when the scheduler is down.
"""
