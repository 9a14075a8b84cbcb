"""The exit statuses of `nb-release`, each with one meaning (the README's table)."""

EXIT_OK = 0  # success; nothing to publish; in sync
EXIT_ERROR = 1  # an error before any write (a quota stop included): nothing was written
EXIT_PENDING = 2  # changes pending: plan, release not confirmed, sync --dry-run
# partly done: some repos stale or failed, or a quota stopped the publishing; a re-run converges
EXIT_PARTIAL = 3
EXIT_DRIFT = 4  # drift or adoption found and left as the policy says
# verify (and the verify step of apply, release, sync): the Hub reads a card otherwise than meant
EXIT_MISMATCH = 5
EXIT_USAGE = 64  # a command line argparse refuses (EX_USAGE)
EXIT_INTERRUPTED = 130  # Ctrl-C
