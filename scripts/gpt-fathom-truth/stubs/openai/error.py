class OpenAIError(Exception):
    pass


class ServiceUnavailableError(OpenAIError):
    pass


class APIError(OpenAIError):
    pass


class RateLimitError(OpenAIError):
    pass


class APIConnectionError(OpenAIError):
    pass


class Timeout(OpenAIError):
    pass


class InvalidRequestError(OpenAIError):
    pass
