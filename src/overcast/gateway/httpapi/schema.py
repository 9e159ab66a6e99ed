"""The HTTP API component's tables, as migration steps for `store.migrate("httpapi", STEPS)`.

Steps are identified by position: never change a released step, append new ones.
"""

from __future__ import annotations

STEPS: list[str] = [
    # One row per HTTP API; api ids are global (the data plane finds an API by its host name alone).
    # body is the Api record as JSON.
    "CREATE TABLE httpapi_apis (api_id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "body TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);"
    "CREATE INDEX httpapi_apis_owner ON httpapi_apis (account, region, created)",
    # An API's parts: kind is route | integration | authorizer | stage | deployment. name is what
    # must be unique within the API and kind: the route key of a route, the stage name of a
    # stage, the id of the others. body is the record as JSON (a deployment's holds its snapshot).
    "CREATE TABLE httpapi_parts (api_id TEXT NOT NULL, kind TEXT NOT NULL, part_id TEXT NOT NULL, "
    "name TEXT NOT NULL, body TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (api_id, kind, part_id));"
    "CREATE UNIQUE INDEX httpapi_parts_name ON httpapi_parts (api_id, kind, name)",
]
