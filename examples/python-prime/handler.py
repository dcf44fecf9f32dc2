"""PythonPrime (seed 000): counts the primes up to `max` by trial division, each candidate divided only
by the primes found so far, up to its square root. CPU-bound on purpose, to compare arm64 and x86_64
with power tuning. Invoked behind the HTTP API (payload 2.0) or directly with the same event shape:
{"queryStringParameters": {"max": "1000000"}}.
"""

import json
import platform
import time

DEFAULT_MAX = 1_000_000
LIMIT = 10_000_000  # the largest max accepted: well inside the function's timeout at 2048 MB


def count_primes(limit):
    """How many primes are <= limit: trial division by the primes found so far, up to the square root."""
    if limit < 2:
        return 0
    primes = [2]
    for candidate in range(3, limit + 1, 2):
        is_prime = True
        for prime in primes:
            if prime * prime > candidate:
                break
            if candidate % prime == 0:
                is_prime = False
                break
        if is_prime:
            primes.append(candidate)
    return len(primes)


def response(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def parse_max(event):
    """The `max` query parameter: ASCII digits only, 1 to LIMIT; absent = DEFAULT_MAX."""
    query = event.get("queryStringParameters") if isinstance(event, dict) else None
    if query is None:
        return DEFAULT_MAX
    if not isinstance(query, dict):
        raise ValueError("queryStringParameters must be a map of strings")
    raw = query.get("max")
    if raw is None:
        return DEFAULT_MAX
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ValueError(f"max must be a whole number from 1 to {LIMIT}")
    value = int(raw)
    if not 1 <= value <= LIMIT:
        raise ValueError(f"max must be a whole number from 1 to {LIMIT}, got {value}")
    return value


def handler(event, context):
    try:
        limit = parse_max(event)
    except ValueError as error:
        return response(400, {"error": str(error)})
    started = time.perf_counter()
    count = count_primes(limit)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
    return response(200, {"architecture": platform.machine(), "max": limit, "count": count, "elapsedMs": elapsed_ms})
