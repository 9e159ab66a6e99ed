"""API Gateway (v1) operations on a REST API's models and request validators.

Part of the apigateway operation table (`apigateway.HANDLERS`), over the same services object.
https://docs.aws.amazon.com/apigateway/latest/api/API_Model.html
https://docs.aws.amazon.com/apigateway/latest/api/API_RequestValidator.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.apigateway_wire import into, ops, out, page
from overcast.apis.restapi import models
from overcast.apis.restapi.pages import page_in_memory
from overcast.apis.restapi.records import Model, RequestValidator
from overcast.context import RequestContext

if TYPE_CHECKING:
    from overcast.api.services.apigateway import Services


async def create_model(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(Model, {**p, "id": "", "name": p.get("name") or "", "contentType": p.get("contentType") or ""})
    return out(await s.apis.change(ctx, p["restApiId"], lambda d: models.create_model(d, requested)))


async def get_model(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(models.model(await s.apis.read(ctx, p["restApiId"]), p["modelName"]))


async def get_models(s: Services, ctx: RequestContext, p: Params) -> Output:
    every = list((await s.apis.read(ctx, p["restApiId"])).models.values())
    found, position = page_in_memory(ctx, every, lambda m: m.name, p.get("limit"), p.get("position"), p["restApiId"])
    return page([out(m) for m in found], position)


async def update_model(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(await s.apis.change(ctx, p["restApiId"], lambda d: models.update_model(d, p["modelName"], ops(p))))


async def delete_model(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.change(ctx, p["restApiId"], lambda d: models.delete_model(d, p["modelName"]))
    return {}


async def create_request_validator(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(RequestValidator, {**p, "id": ""})
    return out(await s.apis.change(ctx, p["restApiId"], lambda d: models.create_request_validator(d, requested)))


async def get_request_validator(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(models.request_validator(await s.apis.read(ctx, p["restApiId"]), p["requestValidatorId"]))


async def get_request_validators(s: Services, ctx: RequestContext, p: Params) -> Output:
    every = list((await s.apis.read(ctx, p["restApiId"])).request_validators.values())
    found, position = page_in_memory(ctx, every, lambda v: v.id, p.get("limit"), p.get("position"), p["restApiId"])
    return page([out(v) for v in found], position)


async def update_request_validator(s: Services, ctx: RequestContext, p: Params) -> Output:
    validator_id = p["requestValidatorId"]
    return out(
        await s.apis.change(ctx, p["restApiId"], lambda d: models.update_request_validator(d, validator_id, ops(p)))
    )


async def delete_request_validator(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.change(ctx, p["restApiId"], lambda d: models.delete_request_validator(d, p["requestValidatorId"]))
    return {}


MODEL_HANDLERS: dict[str, Unbound[Services]] = {
    "CreateModel": create_model,
    "GetModel": get_model,
    "GetModels": get_models,
    "UpdateModel": update_model,
    "DeleteModel": delete_model,
    "CreateRequestValidator": create_request_validator,
    "GetRequestValidator": get_request_validator,
    "GetRequestValidators": get_request_validators,
    "UpdateRequestValidator": update_request_validator,
    "DeleteRequestValidator": delete_request_validator,
}
