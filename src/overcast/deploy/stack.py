"""A stack changed through CloudFormation's API as `sam deploy` does it: a change set made, shown, then
executed, with the stack's events printed resource by resource while it runs, and its Outputs at the end.

Everything goes through a boto3 CloudFormation client pointed at Overcast; `pause` is the wait between
polls (time.sleep in the CLI), and `console` a rich Console.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from rich.console import Console

# CloudFormation's answers for a change set with nothing in it (sam then says the stack is up to date).
NO_CHANGES = ("didn't contain changes", "No updates are to be performed", "The submitted information didn't")
ACTIONS = {"Add": "+ Add", "Modify": "* Modify", "Remove": "- Delete", "Dynamic": "* Dynamic", "Import": "+ Import"}
EXECUTE_API = re.compile(r"https?://([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?(/.*)?")
LAMBDA_URL = re.compile(r"https?://([a-z0-9]+)\.lambda-url\.([a-z0-9-]+)\.on\.aws(/.*)?")


class DeployFailed(Exception):
    """A deploy that did not end well; the message says what CloudFormation said and what to do."""


class NotImplementedByServer(DeployFailed):
    """The server has no CloudFormation API (yet)."""


@dataclass(frozen=True)
class DeployRequest:
    stack_name: str
    template_body: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    capabilities: tuple[str, ...] = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")
    execute: bool = True
    confirm: Callable[[], bool] | None = None  # asked after the change set is shown (--confirm-changeset)


@dataclass
class Stacks:
    """CloudFormation's stacks at one endpoint, as the CLI drives them."""

    client: Any
    console: Console
    endpoint_url: str
    pause: Callable[[float], None] = time.sleep
    poll_seconds: float = 0.5

    def deploy(self, request: DeployRequest) -> dict[str, Any] | None:
        """Create or update the stack; its description once done (None: no changes, or not executed)."""
        existing = self._stack(request.stack_name)
        kind = "UPDATE" if existing and existing["StackStatus"] != "REVIEW_IN_PROGRESS" else "CREATE"
        name = f"overcast-deploy-{int(time.time() * 1000)}"
        made = self._call(
            "create_change_set",
            StackName=request.stack_name,
            ChangeSetName=name,
            ChangeSetType=kind,
            TemplateBody=request.template_body,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in request.parameters.items()],
            Tags=[{"Key": k, "Value": v} for k, v in request.tags.items()],
            Capabilities=list(request.capabilities),
            Description=f"Created by overcast deploy at {time.strftime('%Y-%m-%dT%H:%M:%S')}",
        )
        change_set = self._wait_for_change_set(made["Id"], request.stack_name)
        if change_set is None:
            self.console.print(f"No changes to deploy. Stack {request.stack_name} is up to date")
            return None
        self.print_changes(change_set)
        if not request.execute:
            self.console.print(f"Changeset created successfully. {made['Id']}")
            return None
        if request.confirm is not None and not request.confirm():
            self.console.print("Not deployed: the change set stays for review.")
            return None
        since = self._latest_event_time(request.stack_name)
        self._call("execute_change_set", ChangeSetName=made["Id"], StackName=request.stack_name)
        stack = self.follow(request.stack_name, since)
        status = stack["StackStatus"]
        if status.endswith("FAILED") or "ROLLBACK" in status:
            reason = stack.get("StackStatusReason") or "see the events above"
            raise DeployFailed(f"Failed to {kind.lower()} stack {request.stack_name}: {status} ({reason})")
        self.console.print(f"Successfully created/updated stack - {request.stack_name} in {self.region}")
        self.print_outputs(stack)
        return stack

    def delete(self, stack_name: str) -> None:
        """Delete the stack and wait until it is gone, printing its events."""
        if self._stack(stack_name) is None:
            raise DeployFailed(f"Stack {stack_name} does not exist: nothing to delete.")
        since = self._latest_event_time(stack_name)
        self._call("delete_stack", StackName=stack_name)
        stack = self.follow(stack_name, since)
        if stack.get("StackStatus") not in (None, "DELETE_COMPLETE"):
            raise DeployFailed(f"Failed to delete stack {stack_name}: {stack['StackStatus']}")
        self.console.print(f"Deleted successfully: stack {stack_name}")

    def follow(self, stack_name: str, since: float) -> dict[str, Any]:
        """Print the stack's events after `since` until it reaches a final status; its last description."""
        from rich.table import Table

        seen: set[str] = set()
        header = True
        stack_id = stack_name  # once known, the id: a deleted stack's events are found by its id only
        while True:
            stack = self._stack(stack_id) or {"StackName": stack_name, "StackStatus": "DELETE_COMPLETE"}
            stack_id = stack.get("StackId", stack_id)
            fresh = [e for e in self._events(stack_id) if e["EventId"] not in seen]
            fresh = [e for e in fresh if e["Timestamp"].timestamp() >= since]
            if fresh:
                table = Table(show_header=header, box=None, pad_edge=False)
                if header:
                    self.console.print("CloudFormation events from stack operations")
                for column, width in (("ResourceStatus", 28), ("ResourceType", 34), ("LogicalResourceId", 40)):
                    table.add_column(column, min_width=width, max_width=width, overflow="fold")
                table.add_column("ResourceStatusReason", overflow="fold")
                for event in sorted(fresh, key=lambda e: e["Timestamp"]):
                    seen.add(event["EventId"])
                    status = event.get("ResourceStatus", "")
                    colour = (
                        "red"
                        if "FAILED" in status or "ROLLBACK" in status
                        else "green"
                        if "COMPLETE" in status
                        else "yellow"
                    )
                    table.add_row(
                        f"[{colour}]{status}[/{colour}]", event.get("ResourceType", ""),
                        event.get("LogicalResourceId", ""), event.get("ResourceStatusReason") or "-",
                    )  # fmt: skip
                self.console.print(table)
                header = False
            if not stack["StackStatus"].endswith("IN_PROGRESS"):
                return stack
            self.pause(self.poll_seconds)

    def print_changes(self, change_set: dict[str, Any]) -> None:
        """The change set as `sam deploy` shows it: Operation, LogicalResourceId, ResourceType, Replacement."""
        from rich.table import Table

        table = Table(title="CloudFormation stack changeset", title_justify="left")
        for column in ("Operation", "LogicalResourceId", "ResourceType", "Replacement"):
            table.add_column(column)
        for change in change_set.get("Changes", []):
            resource = change.get("ResourceChange", {})
            action = resource.get("Action", "")
            colour = {"Add": "green", "Modify": "yellow", "Remove": "red"}.get(action, "white")
            table.add_row(
                f"[{colour}]{ACTIONS.get(action, action)}[/{colour}]",
                resource.get("LogicalResourceId", ""),
                resource.get("ResourceType", ""),
                resource.get("Replacement") or "N/A",
            )
        self.console.print(table)

    def print_outputs(self, stack: dict[str, Any]) -> None:
        """The stack's Outputs (Key, Description, Value), with each AWS URL's address on this Overcast."""
        from rich.table import Table

        outputs = stack.get("Outputs") or []
        if not outputs:
            return
        table = Table(title="CloudFormation outputs from deployed stack", title_justify="left", show_lines=True)
        for column in ("Key", "Description", "Value"):
            table.add_column(column, overflow="fold")
        for output in outputs:
            value = str(output.get("OutputValue", ""))
            local = local_url(value, self.endpoint_url)
            shown = value if local is None else f"{value}\n(on Overcast: {local})"
            table.add_row(output.get("OutputKey", ""), output.get("Description") or "-", shown)
        self.console.print(table)

    def validate(self, body: str) -> dict[str, Any]:
        """CloudFormation's ValidateTemplate of a template body."""
        return dict(self._call("validate_template", TemplateBody=body))

    @property
    def region(self) -> str:
        return str(self.client.meta.region_name)

    def _stack(self, stack_name: str) -> dict[str, Any] | None:
        try:
            stacks = self._call("describe_stacks", StackName=stack_name)["Stacks"]
        except DeployFailed as exc:
            if "does not exist" in str(exc):
                return None
            raise
        return dict(stacks[0]) if stacks else None

    def _events(self, stack: str) -> list[dict[str, Any]]:
        try:
            return list(self._call("describe_stack_events", StackName=stack)["StackEvents"])
        except DeployFailed as exc:
            if "does not exist" in str(exc):
                return []
            raise

    def _latest_event_time(self, stack_name: str) -> float:
        events = self._events(stack_name)
        return max((e["Timestamp"].timestamp() for e in events), default=0.0) + 1e-6 if events else 0.0

    def _wait_for_change_set(self, change_set: str, stack_name: str) -> dict[str, Any] | None:
        """The change set once made; None when it has no changes. Fails with CloudFormation's reason."""
        while True:
            found = dict(self._call("describe_change_set", ChangeSetName=change_set, StackName=stack_name))
            status = found.get("Status")
            if status == "CREATE_COMPLETE":
                return found
            if status == "FAILED":
                reason = str(found.get("StatusReason", ""))
                if any(text in reason for text in NO_CHANGES):
                    return None
                raise DeployFailed(f"Failed to create the change set: {reason}")
            self.pause(self.poll_seconds)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 501 or error.get("Code") in ("NotImplemented", "NotImplementedException"):
                raise NotImplementedByServer(
                    f"This Overcast does not have CloudFormation's {exc.operation_name} yet "
                    f"({error.get('Message', 'not implemented')}); update Overcast."
                ) from None
            raise DeployFailed(f"{exc.operation_name}: {error.get('Message') or error.get('Code')}") from None


def local_url(value: str, endpoint_url: str) -> str | None:
    """An API Gateway or function URL on AWS (as a template's Outputs build it) as its address on Overcast."""
    base = endpoint_url.rstrip("/")
    scheme, _, host = base.partition("://")
    port = host.rpartition(":")[2] if ":" in host else ""
    suffix = f":{port}" if port else ""
    api = EXECUTE_API.fullmatch(value)
    if api is not None:
        return f"{scheme}://{api[1]}.execute-api.localhost{suffix}{api[4] or '/'}"
    url = LAMBDA_URL.fullmatch(value)
    if url is not None:
        return f"{scheme}://{url[1]}.lambda-url.{url[2]}.localhost{suffix}{url[3] or '/'}"
    return None


def template_body(template: Mapping[str, Any]) -> str:
    """The packaged template as sent: compact JSON (CloudFormation takes at most 51,200 bytes inline)."""
    return json.dumps(template, separators=(",", ":"))
