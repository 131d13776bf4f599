"""The Python peer for `make bench`: FastMCP serving the same two tools as the bare-SDK baselines
(bench/baselines/tools.ts), statelessly with JSON replies, which answers 2026-07-28 and 2025 stateless requests.

    python fastmcp_server.py PORT
"""
import os
import platform
import sys

# No banner and no update check (a network call at start): set before fastmcp reads its settings.
os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")
from typing import Literal

from fastmcp import FastMCP
from pydantic import BaseModel, Field

mcp = FastMCP("mcp-stack")


class ServerInfo(BaseModel):
    name: str
    version: str
    environment: str
    provider: Literal["ollama", "openai"]
    model: str
    llmBaseUrl: str = Field(description="Where the provider is reached (credentials removed).")
    node: str


INFO = ServerInfo(
    name="mcp-stack",
    version="0.1.0",
    environment="production",
    provider="ollama",
    model="mcp-stack-tiny",
    llmBaseUrl="http://127.0.0.1:9",
    node=f"python {platform.python_version()}",
)


@mcp.tool(description="Echo the text back")
def echo(text: str = Field(description="Text to send back")) -> str:
    return text


@mcp.tool(
    name="server_info",
    title="Server information",
    description="Returns the service version and the LLM provider and model it uses. Does not call the model.",
    annotations={"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False},
)
def server_info() -> ServerInfo:
    return INFO


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8105
    mcp.run(
        transport="http",
        host="127.0.0.1",
        port=port,
        stateless_http=True,
        json_response=True,
        show_banner=False,
        log_level="warning",
    )
