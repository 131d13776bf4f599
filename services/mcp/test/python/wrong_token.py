"""Connects with the official Python MCP SDK and a given bearer token; prints what the SDK user sees.

usage: wrong_token.py <mcp-url> <token> <mode: auto|legacy>
Prints one JSON line: {"ok": true} when the call worked, else {"ok": false, "error": "<type>: <message>"}.
"""

import asyncio
import json
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main(url: str, token: str, mode: str) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        try:
            async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
                await client.list_tools()
            print(json.dumps({"ok": True}))
        except BaseException as error:  # noqa: BLE001 - what the user would see, whatever it is
            leaves = [error]
            while leaves and isinstance(leaves[0], BaseExceptionGroup):
                leaves = list(leaves[0].exceptions)
            shown = leaves[0] if leaves else error
            print(json.dumps({"ok": False, "error": f"{type(shown).__name__}: {shown}"}))


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
