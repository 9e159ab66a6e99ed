"""The kit: what every service repeats, written once — pagination (`pages`) and tagging (`tags`).

ARNs are built and parsed by `overcast.arn`, and the caller's account, region and request id
travel as `overcast.context.RequestContext` into every domain call that looks something up.
"""
