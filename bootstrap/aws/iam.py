"""Every STS and IAM call bootstrap makes.

Nothing else imports boto3 for IAM. Their errors become BootstrapErrors that say what to do
(failures.py, by code, narrowest first).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bootstrap.aws import failures, session
from bootstrap.errors import IamError

if TYPE_CHECKING:
    import boto3

    from bootstrap.policy.documents import NamedPolicy


@dataclass(frozen=True)
class Identity:
    """Who the credentials belong to. `kind` is user, assumed-role, federated-user or root."""

    kind: str
    user_name: str | None
    account: str | None = None
    arn: str | None = None

    @classmethod
    def from_arn(cls, arn: str, account: str | None = None) -> Identity:
        # arn:aws:iam::123:user/path/name, arn:aws:sts::123:assumed-role/Role/session,
        # arn:aws:sts::123:federated-user/name, arn:aws:iam::123:root
        resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
        kind, _, rest = resource.partition("/")
        if kind == "user":
            return cls("user", rest.rsplit("/", 1)[-1], account, arn)
        return cls(kind or "unknown", None, account, arn)

    @property
    def can_own_ssh_keys(self) -> bool:
        return self.kind == "user"

    def describe(self, profile: str | None = None) -> str:
        """`role R (session S, profile P)` for an assumed role, `IAM user U (ARN)` for a user."""
        if self.can_own_ssh_keys:
            return f"IAM user {self.user_name}" + (f" ({self.arn})" if self.arn else "")
        where = [f"profile {profile}"] if profile else []
        resource = (self.arn or "").split(":", 5)[-1]
        kind, _, rest = resource.partition("/")
        if kind == "assumed-role" and "/" in rest:
            role, _, session = rest.partition("/")
            return f"role {role} ({', '.join([f'session {session}', *where])})"
        named = f"{self.kind} {rest or self.arn or ''}".strip()
        return named + (f" ({where[0]})" if where else "")


@dataclass(frozen=True)
class RegisteredKey:
    key_id: str
    status: str  # Active | Inactive
    uploaded: str
    body: str | None = None

    def describe(self) -> str:
        return f"{self.key_id} ({self.status}, uploaded {self.uploaded[:10]})"


class Aws:
    """STS and IAM for one profile and region, created on first use."""

    def __init__(self, profile: str | None, region: str, iam_client: Any = None):
        self.profile = profile
        self.region = region
        self._session: boto3.Session | None = None
        self._iam: Any = iam_client

    @property
    def session(self) -> boto3.Session:
        if self._session is None:
            self._session = session.make_session(self.profile, self.region)
        return self._session

    @property
    def iam(self) -> Any:
        if self._iam is None:
            self._iam = self.session.client("iam", config=session.client_config())
        return self._iam

    @property
    def whose(self) -> failures.Whose:
        return failures.Whose(self.profile)

    def _errors(self, action: str, user: str | None = None) -> AbstractContextManager[None]:
        return failures.translated(self.whose, self.region, action, user)

    def who_am_i(self) -> Identity:
        with self._errors("GetCallerIdentity"):
            sts = self.session.client("sts", config=session.client_config())
            reply = sts.get_caller_identity()
        return Identity.from_arn(reply["Arn"], reply.get("Account"))

    def list_keys(self, user: str) -> list[RegisteredKey]:
        keys: list[RegisteredKey] = []
        with self._errors("ListSSHPublicKeys", user):
            for page in self.iam.get_paginator("list_ssh_public_keys").paginate(UserName=user):
                for key in page.get("SSHPublicKeys", []):
                    keys.append(
                        RegisteredKey(key["SSHPublicKeyId"], key["Status"], str(key["UploadDate"]))
                    )
        return keys

    def get_key(self, user: str, key_id: str) -> RegisteredKey | None:
        """The key with its body, or None if IAM has no such key for this user."""
        import botocore.exceptions as bx

        with self._errors("GetSSHPublicKey", user):
            try:
                reply = self.iam.get_ssh_public_key(
                    UserName=user, SSHPublicKeyId=key_id, Encoding="SSH"
                )["SSHPublicKey"]
            except bx.ClientError as exc:
                if failures.error_code(exc) == "NoSuchEntity":
                    return None
                raise
        return RegisteredKey(
            reply["SSHPublicKeyId"],
            reply["Status"],
            str(reply["UploadDate"]),
            reply["SSHPublicKeyBody"],
        )

    def upload_key(self, user: str, public_line: str) -> RegisteredKey:
        """Raises failures.NoAnswer when IAM may have acted without our hearing it."""
        import botocore.exceptions as bx
        from botocore.parsers import ResponseParserError

        with self._errors("UploadSSHPublicKey", user):
            try:
                reply = self.iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=public_line)
            except (bx.HTTPClientError, ResponseParserError) as exc:
                raise failures.NoAnswer(
                    f"IAM's answer to iam:UploadSSHPublicKey never arrived ({type(exc).__name__})",
                    "run again when AWS answers",
                ) from None
            except bx.ClientError as exc:
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if status < 500:
                    raise
                raise failures.NoAnswer(
                    f"IAM answered iam:UploadSSHPublicKey with HTTP {status} "
                    f"({failures.error_code(exc)})",
                    "run again when AWS answers",
                ) from None
        key = reply["SSHPublicKey"]
        return RegisteredKey(
            key["SSHPublicKeyId"], key["Status"], str(key["UploadDate"]), key["SSHPublicKeyBody"]
        )

    def delete_key(self, user: str, key_id: str) -> None:
        with self._errors("DeleteSSHPublicKey", user):
            self.iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key_id)

    def set_key_status(self, user: str, key_id: str, status: str) -> None:
        with self._errors("UpdateSSHPublicKey", user):
            self.iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Status=status)

    # Managed policies (`bootstrap policy --apply`). Their errors name the policy, not a user.

    @contextlib.contextmanager
    def _policy_errors(self, action: str, arn: str) -> Iterator[None]:
        import botocore.exceptions as bx

        with self._errors(action):
            try:
                yield
            except bx.ClientError as exc:
                code, message = (
                    failures.error_code(exc),
                    exc.response.get("Error", {}).get("Message", ""),
                )
                if code == "NoSuchEntity":
                    raise IamError(
                        f"IAM has no policy {arn} ({message})",
                        "check --policy-arn: aws iam list-policies --scope Local",
                    ) from None
                if code == "AccessDenied":
                    raise IamError(
                        f"IAM denied iam:{action} on {arn} ({message})",
                        "this needs iam:GetPolicy, GetPolicyVersion, ListPolicyVersions, "
                        "CreatePolicyVersion and DeletePolicyVersion on the policy; or save "
                        "`bootstrap policy --from FILE` output and ask an administrator",
                    ) from None
                if code in ("LimitExceeded", "MalformedPolicyDocument", "DeleteConflict"):
                    raise IamError(
                        f"IAM refused iam:{action} on {arn} ({code}: {message})",
                        "run again; with --debug if it keeps failing",
                    ) from None
                raise

    def get_policy(self, arn: str) -> dict[str, Any]:
        """The managed policy's metadata (DefaultVersionId among it)."""
        with self._policy_errors("GetPolicy", arn):
            return dict(self.iam.get_policy(PolicyArn=arn)["Policy"])

    def get_policy_document(self, arn: str, version_id: str) -> dict[str, Any]:
        import json
        import urllib.parse

        with self._policy_errors("GetPolicyVersion", arn):
            version = self.iam.get_policy_version(PolicyArn=arn, VersionId=version_id)
        document = version["PolicyVersion"]["Document"]
        # boto3 decodes the URL-encoded JSON IAM returns; a raw client would hand us text.
        if isinstance(document, str):
            document = json.loads(urllib.parse.unquote(document))
        return dict(document)

    def list_policy_versions(self, arn: str) -> list[dict[str, Any]]:
        """VersionId, IsDefaultVersion and CreateDate of every stored version."""
        versions: list[dict[str, Any]] = []
        with self._policy_errors("ListPolicyVersions", arn):
            for page in self.iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn):
                versions.extend(page.get("Versions", []))
        return versions

    def create_default_policy_version(self, arn: str, document: str) -> str:
        """Store `document` as the new default version; returns its VersionId."""
        with self._policy_errors("CreatePolicyVersion", arn):
            reply = self.iam.create_policy_version(
                PolicyArn=arn, PolicyDocument=document, SetAsDefault=True
            )
        return str(reply["PolicyVersion"]["VersionId"])

    def delete_policy_version(self, arn: str, version_id: str) -> None:
        with self._policy_errors("DeletePolicyVersion", arn):
            self.iam.delete_policy_version(PolicyArn=arn, VersionId=version_id)

    # Read-only lookups for `bootstrap doctor` and for explaining a failed clone.

    def user_arn(self, user: str) -> str:
        with self._errors("GetUser", user):
            return str(self.iam.get_user(UserName=user)["User"]["Arn"])

    def _listed(self, action: str, user: str, operation: str, key: str, **kw: str) -> list[Any]:
        items: list[Any] = []
        with self._errors(action, user):
            for page in self.iam.get_paginator(operation).paginate(**kw):
                items.extend(page.get(key, []))
        return items

    def identity_policies(self, user: str) -> list[NamedPolicy]:
        """Every identity policy of the user: inline, attached, and through its groups."""
        import json
        import urllib.parse

        from bootstrap.policy.documents import NamedPolicy

        def parsed(document: Any) -> dict[str, Any]:
            if isinstance(document, str):  # a raw client hands us URL-encoded JSON
                document = json.loads(urllib.parse.unquote(document))
            return dict(document)

        def managed(attached: dict[str, Any], group: str | None = None) -> NamedPolicy:
            arn = attached["PolicyArn"]
            document = self.get_policy_document(arn, str(self.get_policy(arn)["DefaultVersionId"]))
            kind = "group managed" if group else "managed"
            return NamedPolicy(attached["PolicyName"], kind, document, arn, group)

        found: list[NamedPolicy] = []
        for name in self._listed(
            "ListUserPolicies", user, "list_user_policies", "PolicyNames", UserName=user
        ):
            with self._errors("GetUserPolicy", user):
                reply = self.iam.get_user_policy(UserName=user, PolicyName=name)
            found.append(NamedPolicy(name, "inline", parsed(reply["PolicyDocument"])))
        for attached in self._listed(
            "ListAttachedUserPolicies",
            user,
            "list_attached_user_policies",
            "AttachedPolicies",
            UserName=user,
        ):
            found.append(managed(attached))
        for group in self._listed(
            "ListGroupsForUser", user, "list_groups_for_user", "Groups", UserName=user
        ):
            gname = group["GroupName"]
            for name in self._listed(
                "ListGroupPolicies", user, "list_group_policies", "PolicyNames", GroupName=gname
            ):
                with self._errors("GetGroupPolicy", user):
                    reply = self.iam.get_group_policy(GroupName=gname, PolicyName=name)
                document = parsed(reply["PolicyDocument"])
                found.append(NamedPolicy(name, "group inline", document, group=gname))
            for attached in self._listed(
                "ListAttachedGroupPolicies",
                user,
                "list_attached_group_policies",
                "AttachedPolicies",
                GroupName=gname,
            ):
                found.append(managed(attached, gname))
        return found

    def simulate(
        self,
        user: str,
        source_arn: str,
        actions: list[str],
        resources: list[str],
        context_entries: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """iam:SimulatePrincipalPolicy: IAM's own decision for each action (EvalDecision)."""
        from botocore.parsers import ResponseParserError

        results: list[dict[str, Any]] = []
        with self._errors("SimulatePrincipalPolicy", user):
            try:
                pages = self.iam.get_paginator("simulate_principal_policy").paginate(
                    PolicySourceArn=source_arn,
                    ActionNames=actions,
                    ResourceArns=resources,
                    ContextEntries=context_entries,
                )
                for page in pages:
                    results.extend(page.get("EvaluationResults", []))
            except ResponseParserError:
                raise IamError(
                    "iam:SimulatePrincipalPolicy is not available here (IAM's answer could not "
                    "be read)",
                    "run again with --debug",
                ) from None
        return results
