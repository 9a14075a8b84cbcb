"""Repo-level endpoints: whoami, create, model info, listing, commits, refs and validate-yaml."""

from __future__ import annotations

from typing import Any

from pipeline import hubrules
from pipeline.localhub import cardcheck, problems
from pipeline.localhub.auth import Access
from pipeline.localhub.problems import HubProblem
from pipeline.localhub.store import Repo
from pipeline.localhub.views import (
    LIST_KEYS,
    Context,
    commit_at,
    commit_json,
    expand_keys,
    listed_json,
    model_json,
    visible_repo,
)
from pipeline.localhub.wire import (
    Request,
    Response,
    json_response,
    paginate,
    problem_response,
    text_response,
    whole_number,
)

# The Hub's largest page of commits (huggingface.js listCommits: batchSize "can be set to 1000").
MAX_COMMITS_PAGE = 1000


def _access_token(access: Access | None) -> dict[str, Any]:
    """whoami-v2's `auth.accessToken`: the role, and a fine-grained token's scopes."""
    role = access.role if access else "write"
    answer: dict[str, Any] = {"displayName": "local-hub", "role": role}
    if access is not None and role == "fineGrained":
        answer["fineGrained"] = {
            "canReadGatedRepos": False,
            "global": [],
            "scoped": [
                {
                    "entity": {"type": scope.entity_type, "name": scope.name},
                    "permissions": list(scope.permissions),
                }
                for scope in access.scopes
            ],
        }
    return answer


def whoami(ctx: Context, request: Request) -> Response:
    if request.user is None:
        raise problems.unauthorized("Invalid username or password.")
    # Any token may write any namespace (auth.py), so the user "belongs" to every other namespace.
    namespaces = {repo.namespace for repo in ctx.store.list_repos()} - {request.user}
    orgs = [
        {"type": "org", "name": name, "fullname": name, "roleInOrg": "admin"}
        for name in sorted(namespaces, key=str.lower)
    ]
    return json_response(
        {
            "type": "user",
            "name": request.user,
            "fullname": request.user,
            "isPro": False,
            "orgs": orgs,
            "auth": {
                "type": "access_token",
                "accessToken": _access_token(request.access),
            },
        }
    )


def create_repo(ctx: Context, request: Request) -> Response:
    user = request.require_user()
    body = request.json_object()
    if body.get("type") not in (None, "model"):
        raise problems.bad_request("The local Hub serves model repos only")
    name, organization = body.get("name"), body.get("organization")
    if not isinstance(name, str) or not isinstance(organization, str | None):
        raise problems.bad_request('"name" must be a string and "organization" a string or null')
    repo_id = checked_repo_id(f"{organization or user}/{name}")
    visibility, private = body.get("visibility"), body.get("private")
    if visibility not in (None, "public", "private"):
        raise problems.bad_request('"visibility" must be "public" or "private"')
    if not isinstance(private, bool | None):
        raise problems.bad_request(f'"private" must be true, false or null, got {private!r}')
    private = visibility == "private" or private is True
    repo, created = ctx.store.create_repo(repo_id, private=private)
    url = f"{request.base_url}/{repo.repo_id}"
    if not created:
        # create_repo(exist_ok=True) reads `url` from this 409's body (KeyError without it).
        message = "You already created this model repo"
        return json_response({"error": message, "url": url}, 409, {"X-Error-Message": message})
    return json_response({"url": url, "name": repo.repo_id, "id": repo.object_id})


def checked_repo_id(repo_id: str) -> str:
    """`repo_id` if a new repo may take it (create, move), else 400 saying why."""
    problem = hubrules.repo_id_problem(repo_id)
    if problem:
        raise problems.bad_request(problem)
    if repo_id.lower().endswith(".git"):
        # The Hub's rule (huggingface_hub's validate_repo_id has it too): the name would clash
        # with the repo's own git URL.
        raise problems.bad_request(f"A repo id cannot end with '.git': {repo_id!r}")
    return repo_id


def model_info(
    ctx: Context, request: Request, namespace: str, name: str, revision: str = "main"
) -> Response:
    repo = visible_repo(ctx, request, namespace, name)
    oid = commit_at(ctx, repo, revision)
    expand = expand_keys(request)
    blobs = request.flag("blobs")
    if expand and blobs:
        raise problems.bad_request('"expand" cannot be combined with "blobs"')
    if expand:
        return json_response(listed_json(ctx, repo, oid, expand))
    data = model_json(ctx, repo, oid, blobs=blobs)
    if request.flag("securityStatus"):
        data["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
    return json_response(data)


def list_models(ctx: Context, request: Request) -> Response:
    expand = expand_keys(request)
    full, with_card = request.flag("full"), request.flag("cardData")
    if expand and (full or with_card):
        raise problems.bad_request('"expand" cannot be combined with "full" or "cardData"')
    author = (request.param("author") or "").lower()
    search = (request.param("search") or "").lower()
    repos = [
        repo
        for repo in ctx.store.list_repos()
        if (not repo.private or request.user is not None)
        and (not author or repo.namespace.lower() == author)
        and search in repo.repo_id.lower()
    ]
    repos = _sorted(ctx, request, repos)
    filters = request.params("filter")
    if filters:
        repos = [r for r in repos if set(filters) <= set(_json(ctx, r)["tags"] + [r.repo_id])]
    size = ctx.size(1000)
    limit = request.param("limit")
    if limit is not None:
        wanted = whole_number(limit)
        if not wanted:
            raise problems.bad_request(f'"limit" must be a positive integer, got {limit!r}')
        size = min(size, wanted)
    page, link = paginate(request, repos, size)
    keys = expand or _list_keys(full, with_card)
    heads = ctx.store.heads([repo.pk for repo in page])
    items = [listed_json(ctx, repo, heads[repo.pk], keys) for repo in page]
    return json_response(items, headers={"Link": link} if link else None)


def _json(ctx: Context, repo: Repo) -> dict[str, Any]:
    return model_json(ctx, repo, ctx.store.head(repo))


def _list_keys(full: bool, with_card: bool) -> list[str]:
    keys = [*LIST_KEYS, "modelId"]
    if full:
        keys += ["author", "sha", "lastModified", "gated", "disabled", "siblings"]
    if with_card:
        keys.append("cardData")
    return keys


def _sorted(ctx: Context, request: Request, repos: list[Repo]) -> list[Repo]:
    sort = request.param("sort")
    descending = request.param("direction") != "1"
    if sort in (None, "id"):
        return repos
    if sort == "createdAt":
        return sorted(repos, key=lambda r: r.created_at, reverse=descending)
    if sort in ("lastModified", "last_modified"):
        stamp = {r.pk: ctx.store.commit_info(ctx.store.head(r)).created_at for r in repos}
        return sorted(repos, key=lambda r: stamp[r.pk], reverse=descending)
    # downloads, likes, trending: all zero here, so the order stays by id.
    return repos


def list_commits(
    ctx: Context, request: Request, namespace: str, name: str, revision: str
) -> Response:
    """A page of the history (`limit` a page, at most 1,000; `p` the page) and `X-Total-Count`,
    the number of commits in all (huggingface.js countCommits asks for `limit=1` and reads it)."""
    repo = visible_repo(ctx, request, namespace, name)
    history = ctx.store.history(commit_at(ctx, repo, revision))
    size = ctx.size(50)
    limit = request.param("limit")
    if limit is not None:
        wanted = whole_number(limit)
        if not wanted:
            raise problems.bad_request(f'"limit" must be a positive integer, got {limit!r}')
        size = min(wanted, MAX_COMMITS_PAGE)
    page, link = paginate(request, history, size)
    formatted = "formatted" in request.params("expand[]") + request.params("expand")
    items = [commit_json(commit, formatted=formatted) for commit in page]
    headers = {"X-Total-Count": str(len(history))} | ({"Link": link} if link else {})
    return json_response(items, headers=headers)


def validate_yaml(ctx: Context, request: Request) -> Response:
    """Both callers: HfApi (JSON, authenticated) and RepoCard.validate (`Accept: text/plain`)."""
    as_text = "text/plain" in request.headers.get("accept", "")
    try:
        content = request.json_object().get("content")
        if not isinstance(content, str):
            raise problems.bad_request('"content" must be a string (the whole README)')
    except HubProblem as problem:
        return text_response(problem.message, 400) if as_text else problem_response(problem)
    errors, warnings = cardcheck.validate(content)
    if as_text:
        # RepoCard.validate raises ValueError(response.text) on 400 and ignores a 200's body.
        if errors:
            return text_response("\n".join([cardcheck.INVALID_METADATA, *errors]), 400)
        return text_response("\n".join(warnings))
    body = {
        "errors": [{"message": message} for message in errors],
        "warnings": [{"message": message} for message in warnings],
    }
    if errors:
        return json_response(body, 400, {"X-Error-Message": "Invalid metadata in README.md"})
    return json_response(body)
