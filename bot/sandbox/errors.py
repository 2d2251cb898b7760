"""Errors the sandbox answers with, shaped like Discord's JSON error bodies."""

from __future__ import annotations

from typing import Any


class DiscordHTTPError(Exception):
    """Raised inside the sandbox to answer a REST call with a Discord error.

    ``code`` is Discord's JSON error code (10003 Unknown Channel, 50013 Missing
    Permissions, ...), ``status`` the HTTP status.
    """

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {message} (code {code})")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body Discord would send."""
        return {"message": self.message, "code": self.code}


def unknown_channel() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10003, "Unknown Channel")


def unknown_guild() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10004, "Unknown Guild")


def unknown_member() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10007, "Unknown Member")


def unknown_message() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10008, "Unknown Message")


def unknown_user() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10013, "Unknown User")


def unknown_webhook() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10015, "Unknown Webhook")


def unknown_interaction() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10062, "Unknown interaction")


def already_acknowledged() -> DiscordHTTPError:
    return DiscordHTTPError(400, 40060, "Interaction has already been acknowledged.")


def archived_thread() -> DiscordHTTPError:
    return DiscordHTTPError(400, 50083, "Thread is archived")


def not_author() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")


def bad_request(message: str = "Invalid Form Body") -> DiscordHTTPError:
    return DiscordHTTPError(400, 50035, message)
