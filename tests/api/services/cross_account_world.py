"""Account A's world for the cross-account matrix: one of each resource of every service, and A's view of it.

`build(a)` makes the resources through A's clients and returns their names, ids and ARNs; `snapshot(a, r)`
reads every one of them back as A sees it, so a test can prove that nothing account B did changed them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.functions.zips import handler_zip

A, B = "111111111111", "222222222222"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{A}:role/r"
AWS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
SERVICES = (
    "lambda", "stepfunctions", "apigateway", "apigatewayv2", "logs", "sts", "iam", "cloudformation", "sqs", "sns"
)  # fmt: skip

Clients = dict[str, Any]  # botocore service name -> a boto3 client of one account
Resources = dict[str, str]


def _activity_machine(activity: str) -> str:
    """A state machine that waits on an activity, so its execution stays RUNNING with a task to steal."""
    return json.dumps({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}})


def build(a: Clients) -> Resources:
    """Account A's resources, one of each kind, with every name unique to this run."""
    tag = uuid.uuid4().hex[:8]
    r: Resources = {}
    _lambda(a["lambda"], r, tag)
    _step_functions(a["stepfunctions"], r, tag)
    _rest_api(a["apigateway"], r, tag)
    _http_api(a["apigatewayv2"], r, tag)
    _domain(a["apigateway"], a["apigatewayv2"], r, tag)
    _logs(a["logs"], r, tag)
    _iam(a["iam"], r, tag)
    _stack(a["cloudformation"], r, tag)
    _queue(a["sqs"], r, tag)
    _mapping(a["lambda"], r)
    _sns(a["sns"], r, tag)
    return r


def _mapping(lam: Any, r: Resources) -> None:
    """A's function mapped to A's queue, tagged; Disabled, so the queue keeps its message for the snapshot."""
    made = lam.create_event_source_mapping(
        EventSourceArn=r["queue_arn"], FunctionName=r["function"], Enabled=False, Tags={"owner": "a"}
    )
    r["mapping_uuid"], r["mapping_arn"] = made["UUID"], made["EventSourceMappingArn"]


def _sns(sns: Any, r: Resources, tag: str) -> None:
    """A topic with a tag and a data protection policy, and a subscription with a filter policy."""
    r["topic_arn"] = arn = sns.create_topic(Name=f"topic-{tag}", Tags=[{"Key": "owner", "Value": "a"}])["TopicArn"]
    policy = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=policy)
    queue = f"arn:aws:sqs:{REGION}:{A}:queue-{tag}"
    r["subscription_arn"] = sns.subscribe(
        TopicArn=arn, Protocol="sqs", Endpoint=queue, Attributes={"FilterPolicy": '{"a": ["b"]}'}
    )["SubscriptionArn"]


def _queue(sqs: Any, r: Resources, tag: str) -> None:
    r["queue"] = f"queue-{tag}"
    r["queue_url"] = url = sqs.create_queue(QueueName=r["queue"], tags={"owner": "a"})["QueueUrl"]
    r["queue_arn"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=url, MessageBody="a's message")


def _lambda(lam: Any, r: Resources, tag: str) -> None:
    layer = lam.publish_layer_version(LayerName=f"layer-{tag}", Content={"ZipFile": handler_zip()})
    r["layer"], r["layer_arn"], r["layer_version_arn"] = f"layer-{tag}", layer["LayerArn"], layer["LayerVersionArn"]
    r["function"] = name = f"fn-{tag}"
    made = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": handler_zip()},
        Tags={"owner": "a"},
        Layers=[layer["LayerVersionArn"]],
    )
    r["function_arn"] = made["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    lam.create_function_url_config(FunctionName=name, AuthType="NONE")


def _step_functions(sfn: Any, r: Resources, tag: str) -> None:
    activity = sfn.create_activity(name=f"act-{tag}", tags=[{"key": "owner", "value": "a"}])["activityArn"]
    r["activity"], r["activity_arn"] = f"act-{tag}", activity
    r["machine"] = name = f"sm-{tag}"
    made = sfn.create_state_machine(
        name=name,
        definition=_activity_machine(activity),
        roleArn=ROLE,
        publish=True,
        tags=[{"key": "owner", "value": "a"}],
    )
    r["machine_arn"], r["machine_version_arn"] = made["stateMachineArn"], made["stateMachineVersionArn"]
    r["machine_alias_arn"] = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": made["stateMachineVersionArn"], "weight": 100}]
    )["stateMachineAliasArn"]
    r["execution_arn"] = sfn.start_execution(stateMachineArn=made["stateMachineArn"], name=f"ex-{tag}")["executionArn"]
    r["task_token"] = sfn.get_activity_task(activityArn=activity, workerName="a")["taskToken"]
    # A Distributed Map's run, for the Map Run operations.
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "P", "States": {"P": {"Type": "Pass"}}}
    processor["States"]["P"]["End"] = True
    fan = {"Type": "Map", "ItemProcessor": processor}
    mapped = sfn.create_state_machine(
        name=f"map-{tag}", definition=json.dumps({"StartAt": "M", "States": {"M": {**fan, "End": True}}}), roleArn=ROLE
    )
    started = sfn.start_execution(stateMachineArn=mapped["stateMachineArn"], input="[1]")["executionArn"]
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=started)["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the Distributed Map never ended"
        time.sleep(0.02)  # polling the server, bounded by the deadline
    r["map_run_arn"] = sfn.list_map_runs(executionArn=started)["mapRuns"][0]["mapRunArn"]


def _rest_api(apigw: Any, r: Resources, tag: str) -> None:
    api = apigw.create_rest_api(name=f"rest-{tag}", tags={"owner": "a"})
    r["rest_api"] = api_id = api["id"]
    r["rest_resource"] = res = apigw.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="p")[
        "id"
    ]
    apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET", type="MOCK")
    apigw.put_method_response(restApiId=api_id, resourceId=res, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="GET", statusCode="200")
    apigw.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX", statusCode="418")
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{r['function_arn']}/invocations"
    r["rest_authorizer"] = apigw.create_authorizer(restApiId=api_id, name="auth", type="TOKEN", authorizerUri=uri)["id"]
    apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema='{"type": "object"}')
    r["rest_validator"] = apigw.create_request_validator(restApiId=api_id, name="body", validateRequestBody=True)["id"]
    r["rest_deployment"] = apigw.create_deployment(restApiId=api_id, stageName="prod")["id"]
    r["api_key"] = apigw.create_api_key(name=f"key-{tag}", enabled=True, tags={"owner": "a"})["id"]
    r["usage_plan"] = plan = apigw.create_usage_plan(
        name=f"plan-{tag}", apiStages=[{"apiId": api_id, "stage": "prod"}], tags={"owner": "a"}
    )["id"]
    apigw.create_usage_plan_key(usagePlanId=plan, keyId=r["api_key"], keyType="API_KEY")


def _http_api(v2: Any, r: Resources, tag: str) -> None:
    r["http_api"] = api_id = v2.create_api(Name=f"http-{tag}", ProtocolType="HTTP", Tags={"owner": "a"})["ApiId"]
    r["integration"] = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=r["function_arn"], PayloadFormatVersion="2.0"
    )["IntegrationId"]
    r["route"] = v2.create_route(ApiId=api_id, RouteKey="GET /p", Target=f"integrations/{r['integration']}")["RouteId"]
    r["http_authorizer"] = v2.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        Name="jwt",
        JwtConfiguration={"Audience": ["a"], "Issuer": "https://issuer.example"},
    )["AuthorizerId"]
    v2.create_stage(ApiId=api_id, StageName="prod", RouteSettings={"GET /p": {"ThrottlingRateLimit": 10}})
    r["http_deployment"] = v2.create_deployment(ApiId=api_id, StageName="prod")["DeploymentId"]


def _domain(apigw: Any, v2: Any, r: Resources, tag: str) -> None:
    """A custom domain name, its root mapped to the REST API's prod stage and `h` to the HTTP API's."""
    r["domain"] = name = f"dom-{tag}.example.com"
    apigw.create_domain_name(domainName=name, endpointConfiguration={"types": ["REGIONAL"]}, tags={"owner": "a"})
    apigw.create_base_path_mapping(domainName=name, restApiId=r["rest_api"], stage="prod")
    made = v2.create_api_mapping(DomainName=name, ApiId=r["http_api"], Stage="prod", ApiMappingKey="h")
    r["api_mapping"] = made["ApiMappingId"]
    nlb = f"arn:aws:elasticloadbalancing:{REGION}:{A}:loadbalancer/net/nlb/0123456789abcdef"
    r["vpc_link"] = apigw.create_vpc_link(name=f"link-{tag}", targetArns=[nlb], tags={"owner": "a"})["id"]
    r["client_certificate"] = apigw.generate_client_certificate(description="a", tags={"owner": "a"})[
        "clientCertificateId"
    ]
    r["documentation_part"] = apigw.create_documentation_part(
        restApiId=r["rest_api"], location={"type": "API"}, properties='{"a": 1}'
    )["id"]
    r["documentation_version"] = apigw.create_documentation_version(restApiId=r["rest_api"], documentationVersion="a1")[
        "version"
    ]
    r["http_vpc_link"] = v2.create_vpc_link(Name=f"link-{tag}", SubnetIds=["subnet-a"], Tags={"owner": "a"})[
        "VpcLinkId"
    ]


def _logs(logs: Any, r: Resources, tag: str) -> None:
    r["log_group"] = group = f"/a/{tag}"
    logs.create_log_group(logGroupName=group, tags={"owner": "a"})
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    r["log_stream"] = "s"
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": 1_700_000_000_000, "message": "a"}]
    )
    r["log_group_arn"] = f"arn:aws:logs:{REGION}:{A}:log-group:{group}"


def _iam(iam: Any, r: Resources, tag: str) -> None:
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    document = json.dumps({"Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]})
    r["role"] = role = f"role-{tag}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust), Tags=[{"Key": "owner", "Value": "a"}])
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=document)
    r["policy_arn"] = iam.create_policy(PolicyName=f"policy-{tag}", PolicyDocument=document)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=r["policy_arn"], PolicyDocument=document)
    iam.attach_role_policy(RoleName=role, PolicyArn=r["policy_arn"])
    iam.attach_role_policy(RoleName=role, PolicyArn=AWS_POLICY)
    r["instance_profile"] = profile = f"profile-{tag}"
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)


def _stack(cf: Any, r: Resources, tag: str) -> None:
    """A stack with a log group and an export, and a change set ready to execute."""
    r["stack"] = name = f"stack-{tag}"
    r["export"] = f"export-{tag}"
    template = {
        "Resources": {"G": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}},
        "Outputs": {"G": {"Value": {"Ref": "G"}, "Export": {"Name": r["export"]}}},
    }
    r["stack_id"] = cf.create_stack(StackName=name, TemplateBody=json.dumps(template))["StackId"]
    cf.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 0.05})
    made_group = cf.describe_stack_resource(StackName=name, LogicalResourceId="G")["StackResourceDetail"]
    r["stack_group"] = made_group["PhysicalResourceId"]
    template["Resources"]["G"]["Properties"]["RetentionInDays"] = 14
    made = cf.create_change_set(StackName=name, ChangeSetName="change", TemplateBody=json.dumps(template))
    r["change_set_arn"] = made["Id"]
    cf.get_waiter("change_set_create_complete").wait(ChangeSetName=made["Id"], WaiterConfig={"Delay": 0.05})


def rest_arn(path: str) -> str:
    """An API Gateway resource ARN (it names no account: the caller's is meant)."""
    return f"arn:aws:apigateway:{REGION}::{path}"


def snapshot(a: Clients, r: Resources, service: str) -> dict[str, Any]:
    """Every resource of `service` as A reads it back (without the per-request metadata)."""
    reads: dict[str, Callable[[], Any]] = SNAPSHOTS[service](a, r)
    seen = {}
    for name, read in reads.items():
        answer = read()
        answer.pop("ResponseMetadata", None)
        seen[name] = answer
    return seen


def _lambda_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    lam, fn = a["lambda"], r["function"]
    return {
        "function": lambda: lam.get_function(FunctionName=fn),
        "versions": lambda: lam.list_versions_by_function(FunctionName=fn),
        "aliases": lambda: lam.list_aliases(FunctionName=fn),
        "tags": lambda: lam.list_tags(Resource=r["function_arn"]),
        "mapping": lambda: lam.get_event_source_mapping(UUID=r["mapping_uuid"]),
        "mapping tags": lambda: lam.list_tags(Resource=r["mapping_arn"]),
        "concurrency": lambda: lam.get_function_concurrency(FunctionName=fn),
        "provisioned": lambda: lam.list_provisioned_concurrency_configs(FunctionName=fn),
        "layer": lambda: lam.list_layer_versions(LayerName=r["layer"]),
        "urls": lambda: lam.list_function_url_configs(FunctionName=fn),
    }


def _step_functions_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    sfn = a["stepfunctions"]
    return {
        "machine": lambda: sfn.describe_state_machine(stateMachineArn=r["machine_arn"]),
        "versions": lambda: sfn.list_state_machine_versions(stateMachineArn=r["machine_arn"]),
        "alias": lambda: sfn.describe_state_machine_alias(stateMachineAliasArn=r["machine_alias_arn"]),
        "activity": lambda: sfn.describe_activity(activityArn=r["activity_arn"]),
        "execution": lambda: sfn.describe_execution(executionArn=r["execution_arn"]),
        "executions": lambda: sfn.list_executions(stateMachineArn=r["machine_arn"]),
        "history": lambda: sfn.get_execution_history(executionArn=r["execution_arn"]),
        "map run": lambda: sfn.describe_map_run(mapRunArn=r["map_run_arn"]),
        "machine tags": lambda: sfn.list_tags_for_resource(resourceArn=r["machine_arn"]),
        "activity tags": lambda: sfn.list_tags_for_resource(resourceArn=r["activity_arn"]),
    }


def _rest_api_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    apigw, api = a["apigateway"], r["rest_api"]
    return {
        "api": lambda: apigw.get_rest_api(restApiId=api),
        "resources": lambda: apigw.get_resources(restApiId=api, embed=["methods"]),
        "integration response": lambda: apigw.get_integration_response(
            restApiId=api, resourceId=r["rest_resource"], httpMethod="GET", statusCode="200"
        ),
        "gateway responses": lambda: apigw.get_gateway_responses(restApiId=api),
        "authorizers": lambda: apigw.get_authorizers(restApiId=api),
        "models": lambda: apigw.get_models(restApiId=api),
        "request validators": lambda: apigw.get_request_validators(restApiId=api),
        "deployments": lambda: apigw.get_deployments(restApiId=api),
        "stages": lambda: apigw.get_stages(restApiId=api),
        "key": lambda: apigw.get_api_key(apiKey=r["api_key"], includeValue=True),
        "plan": lambda: apigw.get_usage_plan(usagePlanId=r["usage_plan"]),
        "plan keys": lambda: apigw.get_usage_plan_keys(usagePlanId=r["usage_plan"]),
        "usage": lambda: apigw.get_usage(usagePlanId=r["usage_plan"], startDate="2026-01-01", endDate="2026-01-02"),
        "api tags": lambda: apigw.get_tags(resourceArn=rest_arn(f"/restapis/{api}")),
        "stage tags": lambda: apigw.get_tags(resourceArn=rest_arn(f"/restapis/{api}/stages/prod")),
        "domain": lambda: apigw.get_domain_name(domainName=r["domain"]),
        "base path mappings": lambda: apigw.get_base_path_mappings(domainName=r["domain"]),
        "vpc link": lambda: apigw.get_vpc_link(vpcLinkId=r["vpc_link"]),
        "client certificate": lambda: apigw.get_client_certificate(clientCertificateId=r["client_certificate"]),
        "documentation parts": lambda: apigw.get_documentation_parts(restApiId=api),
        "documentation versions": lambda: apigw.get_documentation_versions(restApiId=api),
    }


def _http_api_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    v2, api = a["apigatewayv2"], r["http_api"]
    return {
        "api": lambda: v2.get_api(ApiId=api),
        "routes": lambda: v2.get_routes(ApiId=api),
        "integrations": lambda: v2.get_integrations(ApiId=api),
        "authorizers": lambda: v2.get_authorizers(ApiId=api),
        "stages": lambda: v2.get_stages(ApiId=api),
        "deployments": lambda: v2.get_deployments(ApiId=api),
        "tags": lambda: v2.get_tags(ResourceArn=rest_arn(f"/apis/{api}")),
        "domain": lambda: v2.get_domain_name(DomainName=r["domain"]),
        "api mappings": lambda: v2.get_api_mappings(DomainName=r["domain"]),
        "vpc link": lambda: v2.get_vpc_link(VpcLinkId=r["http_vpc_link"]),
    }


def _logs_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    logs, group = a["logs"], r["log_group"]
    return {
        "groups": lambda: logs.describe_log_groups(logGroupNamePrefix=group),
        "streams": lambda: logs.describe_log_streams(logGroupName=group),
        "events": lambda: logs.get_log_events(logGroupName=group, logStreamName=r["log_stream"], startFromHead=True),
        "tags": lambda: logs.list_tags_for_resource(resourceArn=r["log_group_arn"]),
    }


def _sts_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    return {"caller": lambda: a["sts"].get_caller_identity()}


def _iam_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    iam, role, policy = a["iam"], r["role"], r["policy_arn"]
    return {
        "role": lambda: iam.get_role(RoleName=role),
        "inline": lambda: iam.get_role_policy(RoleName=role, PolicyName="inline"),
        "inline names": lambda: iam.list_role_policies(RoleName=role),
        "attached": lambda: iam.list_attached_role_policies(RoleName=role),
        "policy": lambda: iam.get_policy(PolicyArn=policy),
        "versions": lambda: iam.list_policy_versions(PolicyArn=policy),
        "aws policy": lambda: iam.get_policy(PolicyArn=AWS_POLICY),
        "entities": lambda: iam.list_entities_for_policy(PolicyArn=policy),
        "profile": lambda: iam.get_instance_profile(InstanceProfileName=r["instance_profile"]),
        "tags": lambda: iam.list_role_tags(RoleName=role),
    }


def _sns_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    sns, topic = a["sns"], r["topic_arn"]
    return {
        "topic": lambda: sns.get_topic_attributes(TopicArn=topic),
        "tags": lambda: sns.list_tags_for_resource(ResourceArn=topic),
        "data protection": lambda: sns.get_data_protection_policy(ResourceArn=topic),
        "subscriptions": lambda: sns.list_subscriptions_by_topic(TopicArn=topic),
        "subscription": lambda: sns.get_subscription_attributes(SubscriptionArn=r["subscription_arn"]),
    }


def _cloudformation_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    cf, stack = a["cloudformation"], r["stack"]
    return {
        "stack": lambda: cf.describe_stacks(StackName=stack),
        "events": lambda: cf.describe_stack_events(StackName=stack),
        "resources": lambda: cf.list_stack_resources(StackName=stack),
        "template": lambda: cf.get_template(StackName=stack),
        "change set": lambda: cf.describe_change_set(ChangeSetName=r["change_set_arn"]),
        "exports": lambda: cf.list_exports(),
    }


def _sqs_reads(a: Clients, r: Resources) -> dict[str, Callable[[], Any]]:
    sqs, url = a["sqs"], r["queue_url"]
    return {
        "queue": lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
        "tags": lambda: sqs.list_queue_tags(QueueUrl=url),
        "url": lambda: sqs.get_queue_url(QueueName=r["queue"]),
    }


SNAPSHOTS: dict[str, Callable[[Clients, Resources], dict[str, Callable[[], Any]]]] = {
    "lambda": _lambda_reads,
    "stepfunctions": _step_functions_reads,
    "apigateway": _rest_api_reads,
    "apigatewayv2": _http_api_reads,
    "logs": _logs_reads,
    "sts": _sts_reads,
    "iam": _iam_reads,
    "cloudformation": _cloudformation_reads,
    "sqs": _sqs_reads,
    "sns": _sns_reads,
}
