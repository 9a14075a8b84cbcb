"""Settings every test needs before huggingface_hub is first imported (it reads them then)."""

import os

# No request to huggingface.co for the client's agent-harness registry (see pipeline/hub.py).
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
