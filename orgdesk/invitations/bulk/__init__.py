"""Bulk invitations: a CSV file checked row by row (a preview that sends nothing), confirmed by
the admin, then run by a background job that is idempotent and resumable.

Three lifecycles, one module each (this package's __init__ imports none of them: import a name
from the module it lives in):
- `preview`: `preview_bulk_invite` reads the file (bulkfile.parse), checks every row the way
  `actions.check_invitee` does (in chunks, not one query per row) plus what only a file can get
  wrong (a duplicate address, an unknown group or role, a role the admin may not give) and
  stores a VALIDATED ImportJob with one ImportRow per row, all in one transaction: a bad file
  leaves nothing behind.
- `actions`: what is done to a job. `confirm_bulk_invite` checks the job's options once with
  `actions.invitation_options` (permission, no escalation for the roles the rows name, a recent
  sign-in when they name any), records `invitation.bulk_started` and enqueues
  `runner.run_bulk_invite` when the transaction commits; `discard_bulk_invite` drops a preview,
  `resume_bulk_invite` restarts a failed or stalled job; `requeue_stalled_jobs`,
  `expire_previews` and `watch_jobs` are the worker's care of jobs left behind.
- `runner`: `process_job` (the task `run_bulk_invite`) works through the pending rows in
  batches, one transaction each, then sends the batch's emails; it claims the job with a lease
  and resumes after a crash without creating an invitation twice (its docstring says how).

Beside them, `results` turns the rows into the per-row results (the CSV download) and `common`
holds what more than one of them uses (KIND, STALL, the address checks, the bulk insert).

Events: `invitation.bulk_started` (the admin's confirmation: who, which file, how many rows)
and `invitation.bulk_finished` (the outcome: invited, failed, invalid, emails not sent) frame
the job; the per-invitation record is the job's ImportRow (row number, address, status, the
invitation and its notification), kept with the job. One `invitation.sent` event per row, as a
single invitation records, would add a 100,000-row insert with three indexes to a job whose
every invitation is already traceable to its row, its job and the admin who started it
(Invitation.invited_by too); invitation events are about organizations, not accounts, so no
activity view loses anything.
"""
