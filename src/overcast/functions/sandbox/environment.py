"""Environment: the variables an instance starts with, named and valued as AWS Lambda sets them.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
"""

from __future__ import annotations

from collections.abc import Mapping

from overcast.functions.instances import InstanceSpec

# Reserved variables a function's own configuration cannot override (AWS rejects them at
# CreateFunction; the sandbox simply lets the runtime's value win).
RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


def credentials(account_id: str) -> dict[str, str]:
    """The SDK credentials an instance gets: its function's account id as the access key id, which Overcast
    reads as that account (`context.account_for_access_key`), so the function's own SDK calls act in its
    account, as the execution role's temporary credentials do on AWS. Never a real credential: Overcast
    does not verify signatures, and a host's real keys must never reach function code."""
    return {"AWS_ACCESS_KEY_ID": account_id, "AWS_SECRET_ACCESS_KEY": "overcast", "AWS_SESSION_TOKEN": "overcast"}


def python_version(runtime: str) -> str | None:
    """ "python3.12" -> "3.12"; None for other runtimes."""
    if runtime.startswith("python3."):
        return runtime[len("python") :]
    return None


def lambda_environment(
    spec: InstanceSpec,
    *,
    task_root: str,
    runtime_api: str,
    runtime_dir: str = "/var/runtime",
    network: Mapping[str, str] | None = None,
    extra_path: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The instance's environment: the function's own variables under the runtime's reserved ones.
    `network`: where the instance reaches Overcast and the internet (AWS_ENDPOINT_URL, the proxy's
    variables; functions/sandbox/network.py), which the function's own variables may override."""
    version = python_version(spec.runtime)
    pythonpath = [task_root, "/opt/python"]
    if version:
        pythonpath.append(f"/opt/python/lib/python{version}/site-packages")
        # Last, as on AWS: the runtime's own libraries (its boto3), so a `python3` the function starts finds them.
        pythonpath.append(runtime_dir)
    env: dict[str, str] = {
        "PATH": "/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LD_LIBRARY_PATH": "/opt/lib:/lib64:/usr/lib64:/lib:/usr/lib",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": "/tmp",  # Lambda's HOME is not writable; /tmp is, and tools that need a HOME work
        "PYTHONPATH": ":".join(pythonpath) if version else "",
    }
    if not version:
        del env["PYTHONPATH"]
    env.update(network or {})
    env.update(spec.environment)
    env.update(
        {
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": spec.log_stream,
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": runtime_dir,
        }
    )
    if spec.log_format == "JSON":
        # What AWS's runtimes read to write JSON records and filter by ApplicationLogLevel
        # (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html).
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        env["AWS_LAMBDA_LOG_LEVEL"] = spec.log_level or "INFO"
    env.update(credentials(spec.account_id))  # after the function's own variables: they cannot override them
    if extra_path:
        for key, value in extra_path.items():
            env[key] = value + ":" + env[key] if env.get(key) else value
    return env
