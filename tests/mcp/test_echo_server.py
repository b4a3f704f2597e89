"""The test MCP server: its two tools, in-process and over streamable HTTP with the client helper."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import Client

from tests.mcp import echo_server, list_tools

HERE = Path(__file__).parent


def test_lists_and_calls_both_tools_in_process() -> None:
    async def run() -> tuple[set[str], str, str]:
        async with Client(echo_server.server) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            added = await client.call_tool("add", {"a": 2, "b": 3})
            echoed = await client.call_tool("echo", {"text": "hello"})
            return names, added.content[0].text, echoed.content[0].text

    names, added, echoed = asyncio.run(run())
    assert names == {"echo", "add"}
    assert added == "5"
    assert echoed == "hello"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_streamable_http_transport_with_the_client_helper() -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "echo_server.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, "echo_server.py exited"
            assert time.monotonic() < deadline, "echo_server.py did not listen within 30 s"
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/mcp"
        result = asyncio.run(list_tools.run(url, None, ["add", '{"a": 40, "b": 2}']))
        assert result == {"tools": ["echo", "add"], "result": "42"}
    finally:
        server.terminate()
        server.wait(timeout=10)
