"""`GET /api/models-tags-by-type`: the Hub's tag lists, from the checked-in snapshot.

The answer has the Hub's shape ({type: [{id, label, type}, ...]}, a license's id `license:<id>`),
made by hubsnapshot.to_tags_by_type, so `nb-release rules update` against the local Hub writes
back exactly the snapshot it serves.
"""

from __future__ import annotations

from pipeline import hubsnapshot
from pipeline.localhub.views import Context
from pipeline.localhub.wire import Request, Response, json_response


def tags_by_type(ctx: Context, request: Request) -> Response:
    return json_response(hubsnapshot.to_tags_by_type(hubsnapshot.current()))
