#!/usr/bin/env python3
"""A small real MCP server for tests: two tools, `echo` and `add`.

Transports:
  streamable HTTP  python echo_server.py --transport http --host 127.0.0.1 --port 18090
                   (endpoint: http://127.0.0.1:18090/mcp)
  stdio            python echo_server.py --transport stdio

Runs with the `mcp` SDK the LiteLLM venv already carries (mcp 2.x: `MCPServer`; mcp 1.x:
`FastMCP`), so no extra install is needed on a gateway host:
  {{ aib_home }}/venvs/litellm/bin/python tests/mcp/echo_server.py --port 18090
"""

from __future__ import annotations

import argparse

try:  # mcp >= 2 (the version litellm 1.108.5 pins)
    from mcp.server.mcpserver import MCPServer as _Server
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as _Server  # type: ignore[no-redef]

server = _Server(name="aib-echo", instructions="Test server: echo and add.")


@server.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@server.tool()
def add(a: int, b: int) -> int:
    """Return a + b."""
    return a + b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport", choices=("http", "stdio"), default="http")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18090)
    args = parser.parse_args()
    if args.transport == "stdio":
        server.run("stdio")
        return
    try:
        server.run("streamable-http", host=args.host, port=args.port)
    except TypeError:  # mcp 1.x: host/port live in the settings, not in run()
        server.settings.host = args.host
        server.settings.port = args.port
        server.run("streamable-http")


if __name__ == "__main__":
    main()
