"""The Hub client: the only code that imports huggingface_hub (its private names only in
_client_internals.py), under one retry policy, with the local cache of what it read."""
