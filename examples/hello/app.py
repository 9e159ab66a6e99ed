"""The demo's function: greets whoever the event names."""


def handler(event, context):
    return {"message": f"Hello, {event.get('name', 'world')}!"}
