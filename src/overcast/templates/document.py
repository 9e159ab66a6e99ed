"""A template's body read into plain data: JSON or YAML (short-form tags such as `!Ref` read as their long form).

YAML goes through cfn-flip's loader, so `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}` as CloudFormation
reads it. What YAML would make a date (`AWSTemplateFormatVersion: 2010-09-09`) stays the string it is in
the file, as CloudFormation keeps it. Only the top-level shape is checked here; each section's own rules
are checked where the section is used.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import yaml
from cfn_flip import load_yaml

from overcast.templates.errors import format_error

SECTIONS = frozenset(
    (
        "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions",
        "Transform", "Resources", "Outputs", "Hooks",
    )
)  # fmt: skip
VERSION = "2010-09-09"  # the only template format version there is
LOGICAL_ID = re.compile(r"[A-Za-z0-9]+")
MAX_BODY_BYTES = 1_000_000  # a template from S3 may be 1 MB (51,200 bytes passed inline; the API checks that)


def parse(body: str) -> dict[str, Any]:
    """The template in `body`, checked for its top-level shape (ValidationError otherwise)."""
    if len(body.encode()) > MAX_BODY_BYTES:
        raise format_error(f"Template may not exceed {MAX_BODY_BYTES} bytes in size.")
    if body.lstrip().startswith("{"):
        try:
            data = json.loads(body)
        except json.JSONDecodeError as exc:
            raise format_error(f"JSON not well-formed. (line {exc.lineno},  column {exc.colno})") from None
    else:
        try:
            data = load_yaml(body)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            raise format_error(f"YAML not well-formed.{where}") from None
        except yaml.YAMLError:
            raise format_error("YAML not well-formed.") from None
    template = plain(data)
    if not isinstance(template, dict):
        raise format_error("Template must be a JSON or YAML object.")  # (a guess: AWS documents no text)
    check_shape(template)
    return template


def plain(value: Any) -> Any:
    """cfn-flip's ordered dicts as dicts, YAML's dates and times as the strings they were written as."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


# How many entries CloudFormation allows in a section of the template it processes
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
QUOTAS = {"Resources": 500, "Outputs": 200}


def check_quota(section: str, entries: int) -> None:
    quota = QUOTAS.get(section)
    if quota is not None and entries > quota:
        # CloudFormation's text for a template with too many resources, said alike of outputs.
        raise format_error(f"Number of {section.lower()}, {entries}, is greater than maximum allowed, {quota}")


def check_shape(template: dict[str, Any]) -> None:
    declared = template.get("Transform") or []
    transforms = [declared] if isinstance(declared, str) else declared
    # A SAM template's Globals section is the SAM transform's to read (it is gone once the template is expanded).
    sections = SECTIONS | {"Globals"} if "AWS::Serverless-2016-10-31" in transforms else SECTIONS
    unknown = sorted(key for key in template if key not in sections)
    if unknown:
        raise format_error(f"Invalid template property or properties [{', '.join(unknown)}]")
    version = template.get("AWSTemplateFormatVersion")
    if version is not None and str(version) != VERSION:
        raise format_error(f"Unsupported template version: {version}")  # (a guess at AWS's wording)
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise format_error("At least one Resources member must be defined.")
    loops = "AWS::LanguageExtensions" in transforms
    for name, resource in resources.items():
        if loops and name.startswith("Fn::ForEach::"):
            continue  # expanded once parameters are known (loops.py)
        if not LOGICAL_ID.fullmatch(name):
            raise format_error(f"Resource name {name} is non alphanumeric.")
        if not isinstance(resource, dict):
            raise format_error(f"[/Resources/{name}] Every Resources object must contain a Type member.")
        if not isinstance(resource.get("Type"), str):
            raise format_error(f"[/Resources/{name}] Every Resources object must contain a Type member.")
    for section in ("Parameters", "Mappings", "Conditions", "Outputs"):
        value = template.get(section)
        if value is not None and not isinstance(value, dict):
            raise format_error(f"Every {section} member must be an object.")  # (a guess at AWS's wording)
    for section in QUOTAS:
        check_quota(section, len(template.get(section) or ()))
