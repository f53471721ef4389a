"""The CloudFormation template read as data, with its intrinsic functions resolved to placeholders.

The policy checks (parliament, the project's own least-privilege rules) need plain IAM policy
documents, not `!Sub`/`!Ref`/`!GetAtt` forms. `resolve` evaluates them the way CloudFormation
would for a given set of parameter values in a fixed placeholder account (123456789012,
us-east-1, partition aws):

- `Ref` of a parameter is its value (given, else its Default); of a pseudo parameter the
  placeholder account, region, partition, stack name; `AWS::NoValue` removes the key or list item;
- `Ref` of a resource is what CloudFormation returns for that type: a bucket's name, a managed
  policy's ARN, a role's name, an OIDC provider's ARN, a Glue database's or workgroup's name;
- `Fn::GetAtt X.Arn` is the ARN built from the resource's name property;
- `Fn::Sub` substitutes `${Param}`, `${Resource}` and `${Resource.Attr}` the same way;
- `Fn::If` evaluates the template's Conditions (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
  `Condition`) with the same parameter values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent / "ecommerce-analytics.yaml"
ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK = "ecommerce-analytics"
_NO_VALUE = object()
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (`!Ref X` is `{"Ref": "X"}`, `!Sub s` `{"Fn::Sub": s}` ...)."""


def _short_form(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _short_form)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data (intrinsic functions in their long form)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return data


class Resolver:
    """Evaluates a template's intrinsic functions for one set of parameter values."""

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str] | None = None) -> None:
        self.template = template
        given = dict(parameters or {})
        self.parameters: dict[str, str] = {}
        for name, spec in template.get("Parameters", {}).items():
            if name in given:
                self.parameters[name] = str(given[name])
            elif "Default" in spec:
                self.parameters[name] = str(spec["Default"])
            else:
                raise ValueError(f"the template's parameter {name} has no default: give a value")
        self.resources: dict[str, Any] = dict(template.get("Resources", {}))

    # ------------------------------------------------------------ conditions

    def condition(self, name: str) -> bool:
        return self._truth(self.template["Conditions"][name])

    def _truth(self, expression: Any) -> bool:
        if isinstance(expression, dict) and len(expression) == 1:
            (function, argument), *_ = expression.items()
            if function == "Fn::Equals":
                return bool(self.resolve(argument[0]) == self.resolve(argument[1]))
            if function == "Fn::Not":
                return not self._truth(argument[0])
            if function == "Fn::And":
                return all(self._truth(item) for item in argument)
            if function == "Fn::Or":
                return any(self._truth(item) for item in argument)
            if function == "Condition":
                return self.condition(argument)
        raise ValueError(f"unsupported condition {expression!r}")

    # ------------------------------------------------------------ references

    def _name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        properties = resource.get("Properties", {})
        kind = resource["Type"]
        field = {
            "AWS::S3::Bucket": "BucketName",
            "AWS::IAM::Role": "RoleName",
            "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
            "AWS::Athena::WorkGroup": "Name",
        }.get(kind)
        if field and field in properties:
            return str(self.resolve(properties[field]))
        if kind == "AWS::Glue::Database":
            return str(self.resolve(properties["DatabaseInput"]["Name"]))
        return f"{STACK}-{logical_id}".lower()

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        kind = self.resources[name]["Type"]
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{self._name(name)}"
        if kind == "AWS::IAM::OIDCProvider":
            url = str(self.resolve(self.resources[name]["Properties"]["Url"]))
            return f"arn:{PARTITION}:iam::{ACCOUNT}:oidc-provider/{url.removeprefix('https://')}"
        return self._name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self._name(logical_id)
        arns = {
            ("AWS::S3::Bucket", "Arn"): f"arn:{PARTITION}:s3:::{name}",
            ("AWS::IAM::Role", "Arn"): f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
        }
        if (kind, attribute) not in arns:
            raise ValueError(f"no placeholder for Fn::GetAtt {logical_id}.{attribute} ({kind})")
        return arns[(kind, attribute)]

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in variables:
                return str(self.resolve(variables[token]))
            if "." in token and not token.startswith("AWS::"):
                logical_id, attribute = token.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self.ref(token))

        return _SUB.sub(replace, text)

    # ------------------------------------------------------------ any value

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated (AWS::NoValue items and keys dropped)."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (function, argument), *_ = value.items()
            if function == "Ref":
                return self.ref(argument)
            if function == "Fn::GetAtt":
                return self.get_att(argument[0], argument[1])
            if function == "Fn::Sub":
                if isinstance(argument, list):
                    return self._sub(argument[0], argument[1])
                return self._sub(argument, {})
            if function == "Fn::If":
                return self.resolve(argument[1] if self.condition(argument[0]) else argument[2])
            if function == "Fn::Join":
                return str(argument[0]).join(str(self.resolve(item)) for item in argument[1])
            if function.startswith("Fn::"):
                raise ValueError(f"no placeholder evaluation for {function}")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def active_resources(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(logical id, resource with resolved Properties) of every resource its Condition creates."""
        for logical_id, resource in self.resources.items():
            condition = resource.get("Condition")
            if condition is not None and not self.condition(condition):
                continue
            yield logical_id, {**resource, "Properties": self.resolve(resource.get("Properties", {}))}


def policy_documents(resolver: Resolver) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, document) of every IAM policy document in the template: identity, trust and bucket policies."""
    for logical_id, resource in resolver.active_resources():
        properties = resource["Properties"]
        kind = resource["Type"]
        if kind == "AWS::IAM::ManagedPolicy":
            yield logical_id, properties["PolicyDocument"]
        elif kind == "AWS::IAM::Role":
            yield f"{logical_id} trust policy", properties["AssumeRolePolicyDocument"]
            for inline in properties.get("Policies", []):
                yield f"{logical_id} policy {inline['PolicyName']}", inline["PolicyDocument"]
        elif kind == "AWS::S3::BucketPolicy":
            yield logical_id, properties["PolicyDocument"]
