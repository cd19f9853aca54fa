"""Whether ``[delivery]`` can reach a reader at all, checked before anything is sent.

``digest send --dry-run`` and a real send run the same checks, so a dry run that passes
means the real send will at least connect with the right settings.
"""

from __future__ import annotations

import os

from digest.core.config import Config
from digest.core.errors import DeliveryError

# The SMTP port each kind of TLS is served on; a mismatch hangs or fails at the first byte.
_TLS_PORTS = {"ssl": 465, "starttls": 587}


def delivery_problems(config: Config) -> tuple[str, ...]:
    """Every setting a send needs that is missing or cannot work, each naming its key."""
    settings, where = config.delivery, f"{config.path}: delivery"
    if not settings.host:
        # Named by its title: a wheel carries no docs/ folder to point into.
        return (f"{where}.host: not set, so there is nowhere to send: add a [delivery] table with your SMTP "
                "relay's host, port, security and from_address (digest's guide \"Getting issues onto a "
                "Kindle\", section \"Send to Kindle by e-mail\")",)
    problems = []  # from_address comes with host: the config loader requires it
    for security, port in _TLS_PORTS.items():
        other = next(s for s in _TLS_PORTS if s != security)
        if settings.security == security and settings.port == _TLS_PORTS[other]:
            problems.append(f"{where}.security: {security!r} on port {settings.port}, which serves {other!r}; "
                            f"use security = {other!r} or port = {port}")
    if settings.username and not os.environ.get(settings.password_env):
        problems.append(f"{where}.password_env: the SMTP password for {settings.username} is not set: "
                        f"export {settings.password_env}")
    return tuple(problems)


def require_delivery_ready(config: Config) -> None:
    """Raise DeliveryError listing every problem of ``[delivery]``; return if a send can start."""
    problems = delivery_problems(config)
    if problems:
        raise DeliveryError("\n".join(["e-mail delivery is not ready, nothing was sent:", *problems]))
