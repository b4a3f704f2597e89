#!/usr/bin/env python3
"""MCP client for tests: list the tools behind a streamable-HTTP MCP endpoint, optionally call one.

  python list_tools.py http://127.0.0.1:4000/mcp/                      # through the LiteLLM gateway
  python list_tools.py http://127.0.0.1:4000/mcp/ --api-key sk-...    # gateway with a master key
  python list_tools.py http://127.0.0.1:18090/mcp --call add '{"a": 2, "b": 3}'

Prints one JSON object: {"tools": [...names...], "result": <text of the call result or null>}.
Exit status 1 when the connection, the listing or the call fails (a tool error included).
Uses the `mcp` 2.x client API (the version litellm 1.108.5 pins).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def run(url: str, api_key: str | None, call: list[str] | None) -> dict:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    transport = streamable_http_client(url, http_client=create_mcp_http_client(headers=headers))
    async with Client(transport) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        result = None
        if call:
            name, arguments = call[0], json.loads(call[1]) if len(call) > 1 else {}
            outcome = await client.call_tool(name, arguments)
            if outcome.is_error:
                raise RuntimeError(f"tool {name} failed: {outcome.content}")
            result = "".join(getattr(part, "text", "") for part in outcome.content)
        return {"tools": tools, "result": result}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--api-key", default=None, help="sent as Authorization: Bearer <key>")
    parser.add_argument("--call", nargs="+", metavar=("TOOL", "JSON_ARGS"), default=None)
    args = parser.parse_args()
    try:
        print(json.dumps(asyncio.run(run(args.url, args.api_key, args.call))))
    except Exception as error:
        print(f"MCP client failed: {error!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
