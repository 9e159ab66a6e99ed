"""API Gateway's control planes: REST APIs (`restapi/`), HTTP APIs (`httpapi/`), the snapshot they deploy.

`deployed` is that snapshot; the data plane that serves it (execute-api) is `gateway/`.
"""
