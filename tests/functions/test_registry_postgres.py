"""The registry's SQL on PostgreSQL: one scenario that runs every statement the registry has."""

from __future__ import annotations

import pytest

from overcast.errors import AwsError
from overcast.functions.code import CodeInput
from overcast.functions.registry import Registry

from .conftest import CTX, config, zip_code
from .zips import make_zip

ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"


async def test_scenario_on_postgres(pg_registry: Registry) -> None:
    r = pg_registry
    layer = await r.layers.publish(CTX, "deps", CodeInput(zip_file=make_zip({"python/a.py": "A = 1\n"})))
    again = await r.layers.publish(CTX, "deps", CodeInput(zip_file=make_zip({"python/a.py": "A = 2\n"})))
    assert (layer.version, again.version) == (1, 2)
    created = await r.create_function(
        CTX, "fn", config(), zip_code(), layers=[layer.arn], tags={"t": "1"}, publish=True
    )
    assert created.version == "1"
    with pytest.raises(AwsError, match="Function already exist"):
        await r.create_function(CTX, "fn", config(), zip_code())
    await r.create_function(CTX, "other", config(), zip_code("B = 1\n"))
    latest = await r.get_function(CTX, "fn")
    updated = await r.update_function_code(CTX, "fn", zip_code("C = 1\n"), revision_id=latest.revision_id)
    await r.update_function_configuration(
        CTX, "fn", {"timeout": 7}, layers=[again.arn], revision_id=updated.revision_id
    )
    v2 = await r.publish_version(CTX, "fn", description="two")
    assert v2.version == "2" and (await r.publish_version(CTX, "fn")).version == "2"
    alias = await r.aliases.create(CTX, "fn", "live", "1", routing={"2": 0.5})
    await r.aliases.update(CTX, "fn", "live", function_version="2", routing={}, revision_id=alias.revision_id)
    assert (await r.get_function(CTX, "fn", "live")).config.timeout == 7
    assert [a.name for a in (await r.aliases.list_aliases(CTX, "fn", function_version="2"))[0]] == ["live"]
    page, marker = await r.list_functions(CTX, all_versions=True, max_items=2)
    rest, _ = await r.list_functions(CTX, all_versions=True, marker=marker)
    assert len(page) + len(rest) == 4
    assert [v.version for v in (await r.list_versions(CTX, "fn"))[0]] == ["$LATEST", "1", "2"]
    await r.tagging.tag(CTX, ARN, {"u": "2"})
    await r.tagging.untag(CTX, ARN, ["t"])
    assert await r.tagging.tags(CTX, ARN) == {"u": "2"}
    assert (await r.layers.list_layers(CTX))[0][0].version == 2
    assert [v.version for v in (await r.layers.list_versions(CTX, "deps"))[0]] == [2, 1]
    await r.layers.delete(CTX, "deps", 1)
    assert (await r.account_usage(CTX)).function_count == 2
    await r.aliases.delete(CTX, "fn", "live")
    await r.delete_function(CTX, "fn", "1")
    await r.delete_function(CTX, "fn")
    assert await r.read_code(updated.code.sha256_hex) is None
    assert (await r.account_usage(CTX)).function_count == 1
