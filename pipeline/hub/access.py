"""What a token may do, from the Hub's whoami-v2 answer: its user, role, organisations and a
fine-grained token's scopes; and whether that allows writing to a repo (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The roles in an organisation that may write to its repos (the Hub's `roleInOrg`).
WRITING_ORG_ROLES = frozenset({"admin", "write", "contributor"})
WRITE_PERMISSION = "repo.write"


@dataclass(frozen=True)
class Scope:
    entity_type: str  # user, org or model
    name: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class TokenAccess:
    user: str
    role: str  # read, write or fineGrained
    org_roles: Mapping[str, str]  # organisation -> the user's role in it
    scopes: tuple[Scope, ...] = ()

    def member_of(self, namespace: str) -> bool:
        """The user may write to the namespace's repos (its own, or an organisation's)."""
        return namespace == self.user or self.org_roles.get(namespace) in WRITING_ORG_ROLES

    def can_write(self, repo_id: str) -> bool:
        namespace = repo_id.split("/", 1)[0]
        if self.role == "write":
            return self.member_of(namespace)
        if self.role != "fineGrained":
            return False
        return any(
            WRITE_PERMISSION in scope.permissions
            and (
                (scope.entity_type in ("user", "org") and scope.name == namespace)
                or (scope.entity_type == "model" and scope.name.lower() == repo_id.lower())
            )
            for scope in self.scopes
        )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def token_access(answer: Mapping[str, Any]) -> TokenAccess:
    """The access whoami-v2 describes; a field the answer lacks grants nothing."""
    token = _mapping(_mapping(answer.get("auth")).get("accessToken"))
    orgs = {
        str(org.get("name")): str(org.get("roleInOrg", ""))
        for org in map(_mapping, _list(answer.get("orgs")))
        if org.get("name")
    }
    scopes = tuple(
        Scope(
            str(entity.get("type", "")),
            str(entity.get("name", "")),
            frozenset(str(p) for p in _list(item.get("permissions"))),
        )
        for item in map(_mapping, _list(_mapping(token.get("fineGrained")).get("scoped")))
        for entity in [_mapping(item.get("entity"))]
    )
    return TokenAccess(str(answer.get("name", "")), str(token.get("role", "")), orgs, scopes)
