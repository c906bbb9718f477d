"""Stand-in for the `openai<1.0` SDK, enough for GPT-Fathom's completion fns.

Nothing is sent anywhere: `Completion.create` / `ChatCompletion.create` hand the
request to `RESPONDER` (set by gfharness), which returns the canned completion
text and records the exact prompt / message list GPT-Fathom built.
"""
from . import error  # noqa: F401

RESPONDER = None  # callable(kind, kwargs) -> str


class Completion:
    @staticmethod
    def create(*args, **kwargs):
        return {"choices": [{"text": RESPONDER("completion", kwargs)}]}


class ChatCompletion:
    @staticmethod
    def create(*args, **kwargs):
        return {"choices": [{"message": {"role": "assistant",
                                          "content": RESPONDER("chat", kwargs)}}]}


class Model:
    @staticmethod
    def list():
        return {"data": []}
