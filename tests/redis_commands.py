"""What a request sends to Redis, for tests that count round trips."""

from typing import Any


def redis_commands_sent(monkeypatch: Any) -> list[bytes]:
    """From now on, every command (or pipeline) sent to Redis is appended to the list returned, as
    the bytes sent (a pipeline's commands together), then sent to Redis as usual."""
    from redis.connection import Connection

    sent: list[bytes] = []
    real_send = Connection.send_packed_command

    def counting(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(b"".join(bytes(part) for part in command) if isinstance(command, list) else bytes(command))
        return real_send(self, command, *args, **kwargs)

    monkeypatch.setattr(Connection, "send_packed_command", counting)
    return sent


def command_name(sent: bytes) -> bytes:
    """The name of the (first) command in what was sent: b"EVALSHA", b"GET", b"SET"."""
    return sent.split(b"\r\n")[2]
